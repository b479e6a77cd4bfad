import Foundation

/// Base64url without padding (RFC 4648 §5), as JWTs and Web Push use it. The alphabet is translated byte by byte
/// around Foundation's standard base64: every request's token goes through ``decode(_:)`` until it is cached.
package enum Base64URL {
    package static func encode(_ bytes: [UInt8]) -> String {
        var text = [UInt8](Data(bytes).base64EncodedData())
        while text.last == UInt8(ascii: "=") { text.removeLast() }
        for index in text.indices {
            switch text[index] {
            case UInt8(ascii: "+"): text[index] = UInt8(ascii: "-")
            case UInt8(ascii: "/"): text[index] = UInt8(ascii: "_")
            default: break
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Standard base64 with padding (RFC 4648 §4), as HTTP headers such as `Sec-WebSocket-Key` use it.
    package static func standard(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Decodes base64url, with or without padding (any `=` is ignored); nil when `text` is not base64url.
    package static func decode(_ text: String) -> [UInt8]? {
        var base64 = [UInt8]()
        base64.reserveCapacity(text.utf8.count + 3)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"): base64.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): base64.append(UInt8(ascii: "/"))
            case UInt8(ascii: "="): continue
            case _ where byte.isBase64Letter: base64.append(byte)
            default: return nil
            }
        }
        if base64.count % 4 == 1 { return nil }
        base64.append(contentsOf: repeatElement(UInt8(ascii: "="), count: (4 - base64.count % 4) % 4))
        return Data(base64Encoded: Data(base64)).map { [UInt8]($0) }
    }
}

extension UInt8 {
    /// A letter or digit: base64's alphabet and base64url's alike, but for their last two characters.
    fileprivate var isBase64Letter: Bool { (65...90).contains(self) || (97...122).contains(self) || (48...57).contains(self) }
}
