import Foundation

/// An `application/x-www-form-urlencoded` body (what Slack posts for slash commands and interactions): `+` is a
/// space, `%XX` a byte, and the bytes of each name and value must be UTF-8.
package struct FormBody: Sendable, Equatable {
    /// The fields in order; a name may occur more than once.
    package var fields: [(name: String, value: String)]

    /// Parses `body`. - Throws: ``FormBodyError`` for a bad `%` escape or bytes that are not UTF-8.
    package init(_ body: [UInt8]) throws(FormBodyError) {
        var fields: [(name: String, value: String)] = []
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let name = try Self.decode(pair[pair.startIndex..<(equals ?? pair.endIndex)])
            let value = try equals.map { (index) throws(FormBodyError) in try Self.decode(pair[(index + 1)...]) } ?? ""
            fields.append((name, value))
        }
        self.fields = fields
    }

    /// The first value of `name`, if any.
    package subscript(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    /// `fields` as a body: names and values with everything but unreserved characters escaped.
    package static func encode(_ fields: [(name: String, value: String)]) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        func escaped(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
        return fields.map { escaped($0.name) + "=" + escaped($0.value) }.joined(separator: "&")
    }

    package static func == (lhs: FormBody, rhs: FormBody) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    /// One name or value, percent-decoded.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(FormBodyError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "+"):
                out.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index + 2 < bytes.endIndex, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                    throw .badEscape
                }
                out.append(high << 4 | low)
                index += 2
            default:
                out.append(byte)
            }
            index += 1
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw .notUTF8 }
        return text
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Why a form body could not be read.
package enum FormBodyError: Error, Sendable, Equatable, CustomStringConvertible {
    case badEscape
    case notUTF8

    package var description: String {
        switch self {
        case .badEscape: "the form body has a malformed %-escape"
        case .notUTF8: "the form body is not UTF-8"
        }
    }
}
