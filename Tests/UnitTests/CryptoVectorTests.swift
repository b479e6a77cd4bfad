import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// LibCrypto against the published test vectors of its algorithms, and its P-256 key handling.
@Suite struct CryptoVectorTests {
    // MARK: HMAC-SHA256, RFC 4231 §4

    @Test(arguments: [
        (
            key: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", data: hexString(ascii: "Hi There"),
            mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            key: hexString(ascii: "Jefe"), data: hexString(ascii: "what do ya want for nothing?"),
            mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            key: String(repeating: "aa", count: 20), data: String(repeating: "dd", count: 50),
            mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        (
            key: "0102030405060708090a0b0c0d0e0f10111213141516171819", data: String(repeating: "cd", count: 50),
            mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        // Case 5 is truncated to 128 bits: compare the prefix.
        (key: String(repeating: "0c", count: 20), data: hexString(ascii: "Test With Truncation"), mac: "a3b6167473100ee06e0c796c2955552b"),
        (
            key: String(repeating: "aa", count: 131), data: hexString(ascii: "Test Using Larger Than Block-Size Key - Hash Key First"),
            mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            key: String(repeating: "aa", count: 131),
            data: hexString(
                ascii: "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed "
                    + "before being used by the HMAC algorithm."),
            mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ])
    func hmacSHA256RFC4231(key: String, data: String, mac: String) {
        let result = LibCrypto.hmacSHA256(key: hexBytes(key), data: hexBytes(data))
        #expect(result.count == 32)
        #expect(hexString(result).hasPrefix(mac))
    }

    @Test func hmacWithEmptyKeyAndData() {
        // HMAC with an empty key equals HMAC with a block of zeros; both empty inputs must work.
        #expect(LibCrypto.hmacSHA256(key: [], data: []) == LibCrypto.hmacSHA256(key: [UInt8](repeating: 0, count: 32), data: []))
        #expect(hexString(LibCrypto.hmacSHA256(key: [], data: [])) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    // MARK: HKDF-SHA256, RFC 5869 Appendix A.1–A.3

    @Test(arguments: [
        (
            ikm: String(repeating: "0b", count: 22), salt: "000102030405060708090a0b0c", info: "f0f1f2f3f4f5f6f7f8f9", length: 42,
            prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
            okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        ),
        (
            ikm: hexString(Array(UInt8(0x00)...0x4f)), salt: hexString(Array(UInt8(0x60)...0xaf)),
            info: hexString(Array(UInt8(0xb0)...0xff)), length: 82,
            prk: "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
            okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3"
                + "db71cc30c58179ec3e87c14c01d5c1f3434f1d87"
        ),
        (
            ikm: String(repeating: "0b", count: 22), salt: "", info: "", length: 42,
            prk: "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
            okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        ),
    ])
    func hkdfSHA256RFC5869(ikm: String, salt: String, info: String, length: Int, prk: String, okm: String) throws {
        let extracted = try LibCrypto.hkdfExtract(salt: hexBytes(salt), ikm: hexBytes(ikm))
        #expect(hexString(extracted) == prk)
        #expect(hexString(try LibCrypto.hkdfExpand(prk: extracted, info: hexBytes(info), length: length)) == okm)
        #expect(hexString(try LibCrypto.hkdf(ikm: hexBytes(ikm), salt: hexBytes(salt), info: hexBytes(info), length: length)) == okm)
    }

    @Test func hkdfRefusesImpossibleLengths() {
        let prk = [UInt8](repeating: 1, count: 32)
        #expect(throws: CryptoError.self) { try LibCrypto.hkdfExpand(prk: prk, info: [], length: 0) }
        #expect(throws: CryptoError.self) { try LibCrypto.hkdfExpand(prk: prk, info: [], length: 255 * 32 + 1) }
        #expect((try? LibCrypto.hkdfExpand(prk: prk, info: [], length: 255 * 32))?.count == 255 * 32)
    }

    // MARK: AES-128-GCM, McGrew & Viega test cases 2, 3 and 4 (the GCM specification)

    @Test func aes128GCMKnownAnswers() throws {
        let zeroKey = [UInt8](repeating: 0, count: 16)
        let zeroNonce = [UInt8](repeating: 0, count: 12)
        #expect(
            hexString(try LibCrypto.aes128GCMSeal([UInt8](repeating: 0, count: 16), key: zeroKey, nonce: zeroNonce))
                == "0388dace60b6a392f328c2b971b2fe78" + "ab6e47d42cec13bdf53a67b21257bddf")
        let key = hexBytes("feffe9928665731c6d6a8f9467308308")
        let nonce = hexBytes("cafebabefacedbaddecaf888")
        let plaintext = hexBytes(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
        let sealed = try LibCrypto.aes128GCMSeal(plaintext, key: key, nonce: nonce)
        #expect(
            hexString(sealed)
                == "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e09147"
                + "3f5985" + "4d5c2af327cd64a62cf35abd2ba6fab4")
        #expect(try LibCrypto.aes128GCMOpen(sealed, key: key, nonce: nonce) == plaintext)
        // Test case 4: 60 bytes of plaintext with 20 bytes of additional data.
        let aad = hexBytes("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let sealedWithAAD = try LibCrypto.aes128GCMSeal(Array(plaintext.prefix(60)), key: key, nonce: nonce, aad: aad)
        #expect(hexString(Array(sealedWithAAD.prefix(60))) == String(hexString(sealed).prefix(120)))
        #expect(hexString(Array(sealedWithAAD.suffix(16))) == "5bc94fbc3221a5db94fae95ae7121a47")
        #expect(try LibCrypto.aes128GCMOpen(sealedWithAAD, key: key, nonce: nonce, aad: aad) == Array(plaintext.prefix(60)))
    }

    @Test func aes128GCMRejectsTamperingAndBadParameters() throws {
        let key = LibCrypto.randomBytes(16)
        let nonce = LibCrypto.randomBytes(12)
        let message = Array("attack at dawn".utf8)
        let sealed = try LibCrypto.aes128GCMSeal(message, key: key, nonce: nonce, aad: [1, 2, 3])
        #expect(sealed.count == message.count + 16)
        #expect(try LibCrypto.aes128GCMOpen(sealed, key: key, nonce: nonce, aad: [1, 2, 3]) == message)
        #expect(try LibCrypto.aes128GCMOpen(try LibCrypto.aes128GCMSeal([], key: key, nonce: nonce), key: key, nonce: nonce) == [])
        let emptyWithAAD = try LibCrypto.aes128GCMSeal([], key: key, nonce: nonce, aad: [9])
        #expect(emptyWithAAD.count == 16)
        #expect(try LibCrypto.aes128GCMOpen(emptyWithAAD, key: key, nonce: nonce, aad: [9]) == [])
        for index in [0, message.count - 1, message.count, sealed.count - 1] {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(cryptoErrorKind { try LibCrypto.aes128GCMOpen(tampered, key: key, nonce: nonce, aad: [1, 2, 3]) } == .authenticationFailed)
        }
        #expect(cryptoErrorKind { try LibCrypto.aes128GCMOpen(sealed, key: key, nonce: nonce, aad: []) } == .authenticationFailed)
        #expect(
            cryptoErrorKind { try LibCrypto.aes128GCMOpen(sealed, key: LibCrypto.randomBytes(16), nonce: nonce, aad: [1, 2, 3]) }
                == .authenticationFailed)
        #expect(cryptoErrorKind { try LibCrypto.aes128GCMOpen(Array(sealed.prefix(15)), key: key, nonce: nonce) } == .authenticationFailed)
        #expect(cryptoErrorKind { try LibCrypto.aes128GCMSeal(message, key: Array(key.prefix(15)), nonce: nonce) } == .invalidInput)
        #expect(cryptoErrorKind { try LibCrypto.aes128GCMSeal(message, key: key, nonce: nonce + [0]) } == .invalidInput)
    }

    // MARK: P-256

    /// RFC 7515 Appendix A.3: the ES256 example key and its signature over the example JWS.
    static let rfc7515D = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
    static let rfc7515X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
    static let rfc7515Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
    static let rfc7515SigningInput =
        "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    static let rfc7515Signature = "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

    @Test func privateKeyDerivesItsPublicKey() throws {
        // RFC 7515 A.3's key: d gives (x, y).
        let key = try LibCrypto.P256PrivateKey(rawScalar: b64url(Self.rfc7515D))
        #expect(key.publicKey.uncompressedPoint == [0x04] + b64url(Self.rfc7515X) + b64url(Self.rfc7515Y))
        #expect(key.rawScalar == b64url(Self.rfc7515D))
        // RFC 8291 Appendix A's application server and user agent keys.
        #expect(try LibCrypto.P256PrivateKey(rawScalar: b64url(RFC8291.asPrivate)).publicKey.uncompressedPoint == b64url(RFC8291.asPublic))
        #expect(try LibCrypto.P256PrivateKey(rawScalar: b64url(RFC8291.uaPrivate)).publicKey.uncompressedPoint == b64url(RFC8291.uaPublic))
        #expect(!"\(key)".contains(Self.rfc7515D))
    }

    @Test func generatedKeysReloadIdentically() throws {
        let first = LibCrypto.P256PrivateKey.generate()
        let second = LibCrypto.P256PrivateKey.generate()
        #expect(first.rawScalar != second.rawScalar)
        for key in [first, second] {
            #expect(key.rawScalar.count == 32)
            #expect(key.publicKey.uncompressedPoint.count == 65 && key.publicKey.uncompressedPoint[0] == 0x04)
            #expect(try LibCrypto.P256PrivateKey(rawScalar: key.rawScalar).publicKey == key.publicKey)
            #expect(try LibCrypto.P256PublicKey(uncompressedPoint: key.publicKey.uncompressedPoint) == key.publicKey)
        }
    }

    @Test func privateKeyLoadingRejectsBadScalars() {
        let order = hexBytes("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
        var orderPlusOne = order
        orderPlusOne[31] += 1
        var orderMinusOne = order
        orderMinusOne[31] -= 1
        for bad in [
            [UInt8](repeating: 0, count: 32), order, orderPlusOne, [UInt8](repeating: 0xff, count: 32), [1], [UInt8](repeating: 1, count: 33), [],
        ] {
            #expect(cryptoErrorKind { try LibCrypto.P256PrivateKey(rawScalar: bad) } == .invalidKey)
        }
        #expect((try? LibCrypto.P256PrivateKey(rawScalar: orderMinusOne)) != nil)
        #expect((try? LibCrypto.P256PrivateKey(rawScalar: [UInt8](repeating: 0, count: 31) + [1])) != nil)
    }

    @Test func publicKeyLoadingRejectsPointsOffTheCurve() throws {
        let good = b64url(RFC8291.uaPublic)
        #expect(try LibCrypto.P256PublicKey(uncompressedPoint: good).uncompressedPoint == good)
        var offCurve = good
        offCurve[40] ^= 0x01
        var compressed = [UInt8](good.prefix(33))
        compressed[0] = 0x02 | (good[64] & 1)
        var hybrid = good
        hybrid[0] = 0x06 | (good[64] & 1)
        let candidates: [[UInt8]] = [
            offCurve, compressed, hybrid, Array(good.prefix(64)), good + [0], [], [0x00], [0x04] + [UInt8](repeating: 0, count: 64),
            [0x04] + [UInt8](repeating: 0xff, count: 64), Array(good.dropFirst()),
        ]
        for bad in candidates {
            #expect(cryptoErrorKind { try LibCrypto.P256PublicKey(uncompressedPoint: bad) } == .invalidKey)
        }
    }

    @Test func ecdhMatchesRFC8291AndIsSymmetric() throws {
        let sender = try LibCrypto.P256PrivateKey(rawScalar: b64url(RFC8291.asPrivate))
        let receiver = try LibCrypto.P256PrivateKey(rawScalar: b64url(RFC8291.uaPrivate))
        #expect(try sender.sharedSecret(with: receiver.publicKey) == b64url(RFC8291.ecdhSecret))
        #expect(try receiver.sharedSecret(with: sender.publicKey) == b64url(RFC8291.ecdhSecret))
        let a = LibCrypto.P256PrivateKey.generate()
        let b = LibCrypto.P256PrivateKey.generate()
        let secret = try a.sharedSecret(with: b.publicKey)
        #expect(secret.count == 32)
        #expect(secret == (try b.sharedSecret(with: a.publicKey)))
    }

    @Test func es256VerifiesRFC7515Example() throws {
        let key = try LibCrypto.P256PublicKey(uncompressedPoint: [0x04] + b64url(Self.rfc7515X) + b64url(Self.rfc7515Y))
        let input = Array(Self.rfc7515SigningInput.utf8)
        #expect(key.isValidES256Signature(b64url(Self.rfc7515Signature), for: input))
        var tampered = b64url(Self.rfc7515Signature)
        tampered[10] ^= 1
        #expect(!key.isValidES256Signature(tampered, for: input))
        #expect(!key.isValidES256Signature(b64url(Self.rfc7515Signature), for: input + [0x20]))
    }

    @Test func es256SignsAndVerifies() throws {
        let key = LibCrypto.P256PrivateKey.generate()
        let message = Array("the quick brown fox".utf8)
        let signature = try key.signES256(message)
        #expect(signature.count == 64)
        #expect(key.publicKey.isValidES256Signature(signature, for: message))
        // ECDSA is randomised: a second signature differs but verifies too.
        let again = try key.signES256(message)
        #expect(again != signature && key.publicKey.isValidES256Signature(again, for: message))
        #expect(!key.publicKey.isValidES256Signature(signature, for: Array("the quick brown fox.".utf8)))
        #expect(!LibCrypto.P256PrivateKey.generate().publicKey.isValidES256Signature(signature, for: message))
        var flipped = signature
        flipped[40] ^= 0x80
        #expect(!key.publicKey.isValidES256Signature(flipped, for: message))
        // Not DER, not truncated, not zero.
        #expect(!key.publicKey.isValidES256Signature(Array(signature.prefix(63)), for: message))
        #expect(!key.publicKey.isValidES256Signature(signature + [0], for: message))
        #expect(!key.publicKey.isValidES256Signature([UInt8](repeating: 0, count: 64), for: message))
        #expect(!key.publicKey.isValidES256Signature([], for: message))
        // An empty message is a message.
        let empty = try key.signES256([])
        #expect(key.publicKey.isValidES256Signature(empty, for: []))
    }
}

// MARK: - Helpers shared by CryptoVectorTests and WebPushTests

/// RFC 8291 Appendix A: the keys, secrets and intermediate values of the worked example, as the RFC prints them.
enum RFC8291 {
    static let plaintext = "When I grow up, I want to be a watermelon"
    static let asPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
    static let asPublic = "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
    static let uaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
    static let uaPublic = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
    static let auth = "BTBZMqHH6r4Tts7J_aSIgg"
    static let salt = "DGv6ra1nlYgDCS1FRnbzlw"
    static let ecdhSecret = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs"
    static let ikm = "S4lYMb_L0FxCeq0WhDx813KgSYqU26kOyzWUdsXYyrg"
    static let prk = "09_eUZGrsvxChDCGRCdkLiDXrReGOEVeSCdCcPBSJSc"
    static let cek = "oIhVW04MRdy2XN9CiKLxTg"
    static let nonce = "4h_95klXJ5E_qnoN"
    static let body =
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mq"
        + "gkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

func hexString(ascii text: String) -> String {
    hexString(Array(text.utf8))
}

func hexBytes(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        out.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return out
}

/// The kind of CryptoError `body` throws; nil when it throws nothing or another error.
func cryptoErrorKind<T>(_ body: () throws -> T) -> CryptoError.Kind? {
    do {
        _ = try body()
        return nil
    } catch {
        return (error as? CryptoError)?.kind
    }
}
