import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Base64url as RFC 4648 §5 writes it, without padding, and read with or without it.
@Suite struct Base64URLTests {
    /// RFC 4648 §10's vectors, in base64url without padding.
    @Test func theRFCsVectorsAreWrittenAndRead() {
        let vectors = ["": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
            let padded = encoded + String(repeating: "=", count: (4 - encoded.count % 4) % 4)
            #expect(Base64URL.decode(padded) == Array(plain.utf8))
        }
    }

    /// The two characters where base64url differs from base64, both ways, over random bytes of every length mod 3.
    @Test func bytesComeBackAsTheyWentAndTheURLAlphabetIsUsed() {
        var random = SplitMix64(seed: 7)
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("+") && !text.contains("/") && !text.contains("="))
            #expect(text == Data(bytes).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: ""))
            #expect(Base64URL.decode(text) == bytes)
        }
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
    }

    /// Standard base64's `+` and `/`, spaces, line breaks, control characters, non-ASCII and impossible lengths are
    /// refused, never skipped.
    @Test func anythingButBase64URLIsRefused() {
        for text in ["+_8", "/_8", "Zm9v Yg", "Zm9v\nYg", "Zm9v\u{0}", "Zm9vé", "Z", "Zm9vY", "Zm9v%", "Zm9v.Yg"] {
            #expect(Base64URL.decode(text) == nil, "\(text.debugDescription)")
        }
    }
}
