import Foundation
import MsgLib
import Testing

@Suite struct JWTTests {
    let signer = JWTSigner(secret: "test-secret")
    let user = UUID()

    func token(header: String, payload: String, secret: String = "test-secret") -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return input + "." + Base64URL.encode(LibCrypto.hmacSHA256(key: Array(secret.utf8), data: Array(input.utf8)))
    }

    @Test func roundTrip() throws {
        let now = Timestamp.now()
        let claims = try signer.verify(signer.token(for: user, ttl: 60, now: now))
        #expect(claims.sub == user.lowercasedString)
        #expect(claims.exp == now.secondsSinceEpoch + 60)
    }

    @Test func rejectsOtherAlgorithms() {
        let exp = Timestamp.now().secondsSinceEpoch + 60
        let payload = #"{"sub":"\#(user.uuidString)","exp":\#(exp)}"#
        for alg in ["none", "HS384", "RS256", "hs256"] {
            #expect(throws: AuthError.unsupportedAlgorithm) { try signer.verify(token(header: #"{"alg":"\#(alg)"}"#, payload: payload)) }
        }
        let unsigned = Base64URL.encode(Array(#"{"alg":"none"}"#.utf8)) + "." + Base64URL.encode(Array(payload.utf8)) + "."
        #expect(throws: AuthError.unsupportedAlgorithm) { try signer.verify(unsigned) }
    }

    @Test func rejectsBadTokens() {
        let now = Timestamp.now()
        let exp = now.secondsSinceEpoch + 60
        #expect(throws: AuthError.badSignature) {
            try signer.verify(token(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"\#(user)","exp":\#(exp)}"#, secret: "other"))
        }
        #expect(throws: AuthError.expiredToken) { try signer.verify(signer.token(for: user, ttl: -1, now: now)) }
        #expect(throws: AuthError.malformedToken) { try signer.verify(token(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"\#(user)"}"#)) }
        #expect(throws: AuthError.malformedToken) { try signer.verify(token(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"bob","exp":\#(exp)}"#)) }
        #expect(throws: AuthError.tokenNotYetValid) {
            try signer.verify(token(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"\#(user)","exp":\#(exp),"nbf":\#(exp)}"#))
        }
        for garbage in ["", "a.b", "a.b.c.d", "!!!.???.###", "eyJhbGciOiJIUzI1NiJ9..", String(repeating: "a", count: 5000)] {
            #expect(throws: AuthError.self) { try signer.verify(garbage) }
        }
        // Tampering with the payload breaks the signature.
        let good = signer.token(for: user, ttl: 60)
        var parts = good.split(separator: ".").map(String.init)
        parts[1] = Base64URL.encode(Array(#"{"sub":"\#(UUID().uuidString)","exp":\#(exp)}"#.utf8))
        #expect(throws: AuthError.badSignature) { try signer.verify(parts.joined(separator: ".")) }
    }

    /// NumericDates may carry fractions (PyJWT writes `time.time()` as it is): such tokens verify, each fraction
    /// rounded toward the stricter side.
    @Test func fractionalDatesAreNumericDates() throws {
        let now = Timestamp.now().secondsSinceEpoch
        let header = #"{"alg":"HS256","typ":"JWT"}"#
        let claims = try signer.verify(
            token(header: header, payload: #"{"sub":"\#(user)","exp":\#(now + 3600).75,"iat":\#(now).25,"nbf":\#(now - 10).5}"#))
        #expect(claims.exp == now + 3600)
        #expect(claims.iat == now)
        #expect(claims.nbf == now - 9)
        #expect(throws: AuthError.expiredToken) { try signer.verify(token(header: header, payload: #"{"sub":"\#(user)","exp":\#(now).9}"#)) }
        #expect(throws: AuthError.tokenNotYetValid) {
            try signer.verify(token(header: header, payload: #"{"sub":"\#(user)","exp":\#(now + 60),"nbf":\#(now).1}"#))
        }
        // Far beyond Int64: as far as a date can be, not a crash.
        #expect(try signer.verify(token(header: header, payload: #"{"sub":"\#(user)","exp":1e300}"#)).exp == .max)
        for bad in [#""soon""#, "null", "true", "[1]"] {
            #expect(throws: AuthError.malformedToken) { try signer.verify(token(header: header, payload: #"{"sub":"\#(user)","exp":\#(bad)}"#)) }
        }
    }

    /// One token, one text: padding anywhere in the signature, or other bits in its last character (which carries two
    /// unused ones), would decode to the same bytes and verify as another token.
    @Test func theSignatureHasOneEncoding() throws {
        let good = signer.token(for: user, ttl: 60)
        _ = try signer.verify(good)
        let cut = good.lastIndex(of: ".")!
        let (input, signature) = (good[..<cut], String(good[good.index(after: cut)...]))
        #expect(signature.count == 43)
        var variants = [signature + "=", signature + "==", "=" + signature, String(signature.prefix(20)) + "=" + signature.dropFirst(20)]
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let last = alphabet.firstIndex(of: signature.last!)!
        for other in (last & ~3)..<((last & ~3) + 4) where other != last {
            variants.append(String(signature.dropLast()) + String(alphabet[other]))
        }
        #expect(variants.count == 7)
        for variant in variants {
            // Each decodes to the signature's bytes, and is refused.
            #expect(Base64URL.decode(variant) == Base64URL.decode(signature), "\(variant)")
            #expect(throws: AuthError.badSignature, "\(variant)") { try signer.verify(input + "." + variant) }
        }
    }

    @Test func aTokenOfAnyLifetimeIsSigned() throws {
        let now = Timestamp.now()
        #expect(try signer.verify(signer.token(for: user, ttl: .max, now: now)).exp == .max)
        #expect(throws: AuthError.expiredToken) { try signer.verify(signer.token(for: user, ttl: .min, now: now)) }
    }

    /// RFC 4231 test cases 1, 2 and 6 for HMAC-SHA256.
    @Test func hmacSHA256MatchesRFC4231() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(
            hex(LibCrypto.hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8)))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            hex(LibCrypto.hmacSHA256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(
            hex(
                LibCrypto.hmacSHA256(
                    key: [UInt8](repeating: 0xaa, count: 131), data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        #expect(LibCrypto.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!LibCrypto.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!LibCrypto.constantTimeEquals([1, 2, 3], [1, 2]))
    }
}
