import Foundation
import Testing

@testable import MsgLib

/// AES-256-GCM against the GCM specification's test cases 13 to 16 (McGrew & Viega, also NIST's), its refusal of
/// altered input, and ``SecretSealer`` on top of it.
@Suite struct AES256GCMTests {
    private let specKey = hexBytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
    private let specNonce = hexBytes("cafebabefacedbaddecaf888")
    private let specPlaintext = hexBytes(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")
    private let specCiphertext =
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"

    @Test func zeroKeyCases13And14() throws {
        let key = [UInt8](repeating: 0, count: 32)
        let nonce = [UInt8](repeating: 0, count: 12)
        #expect(hexString(try LibCrypto.aesGCMSeal([], variant: .aes256, key: key, nonce: nonce)) == "530f8afbc74536b9a963b4f1c4cb738b")
        let sealed = try LibCrypto.aesGCMSeal([UInt8](repeating: 0, count: 16), variant: .aes256, key: key, nonce: nonce)
        #expect(hexString(sealed) == "cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919")
        #expect(try LibCrypto.aesGCMOpen(sealed, variant: .aes256, key: key, nonce: nonce) == [UInt8](repeating: 0, count: 16))
    }

    @Test func case15() throws {
        let sealed = try LibCrypto.aesGCMSeal(specPlaintext, variant: .aes256, key: specKey, nonce: specNonce)
        #expect(hexString(sealed) == specCiphertext + "b094dac5d93471bdec1a502270e3cc6c")
        #expect(try LibCrypto.aesGCMOpen(sealed, variant: .aes256, key: specKey, nonce: specNonce) == specPlaintext)
    }

    @Test func case16WithAssociatedData() throws {
        let aad = hexBytes("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let plaintext = Array(specPlaintext.prefix(60))
        let sealed = try LibCrypto.aesGCMSeal(plaintext, variant: .aes256, key: specKey, nonce: specNonce, aad: aad)
        #expect(hexString(Array(sealed.prefix(60))) == String(specCiphertext.prefix(120)))
        #expect(hexString(Array(sealed.suffix(16))) == "76fc6ece0f4e1768cddf8853bb2d551b")
        #expect(try LibCrypto.aesGCMOpen(sealed, variant: .aes256, key: specKey, nonce: specNonce, aad: aad) == plaintext)
    }

    @Test func refusesAlteredCiphertextTagAADKeyAndNonce() throws {
        let aad = Array("team T123".utf8)
        let sealed = try LibCrypto.aesGCMSeal(specPlaintext, variant: .aes256, key: specKey, nonce: specNonce, aad: aad)
        for index in [0, 31, specPlaintext.count - 1, specPlaintext.count, sealed.count - 1] {
            var tampered = sealed
            tampered[index] ^= 0x80
            #expect(
                cryptoErrorKind { try LibCrypto.aesGCMOpen(tampered, variant: .aes256, key: specKey, nonce: specNonce, aad: aad) }
                    == .authenticationFailed)
        }
        #expect(
            cryptoErrorKind { try LibCrypto.aesGCMOpen(sealed, variant: .aes256, key: specKey, nonce: specNonce, aad: Array("team T124".utf8)) }
                == .authenticationFailed)
        #expect(cryptoErrorKind { try LibCrypto.aesGCMOpen(sealed, variant: .aes256, key: specKey, nonce: specNonce) } == .authenticationFailed)
        var otherKey = specKey
        otherKey[31] ^= 1
        #expect(
            cryptoErrorKind { try LibCrypto.aesGCMOpen(sealed, variant: .aes256, key: otherKey, nonce: specNonce, aad: aad) } == .authenticationFailed
        )
        var otherNonce = specNonce
        otherNonce[0] ^= 1
        #expect(
            cryptoErrorKind { try LibCrypto.aesGCMOpen(sealed, variant: .aes256, key: specKey, nonce: otherNonce, aad: aad) } == .authenticationFailed
        )
        #expect(
            cryptoErrorKind { try LibCrypto.aesGCMOpen(Array(sealed.dropLast()), variant: .aes256, key: specKey, nonce: specNonce, aad: aad) }
                == .authenticationFailed)
    }

    @Test func refusesKeysOfTheOtherSize() {
        #expect(
            cryptoErrorKind { try LibCrypto.aesGCMSeal([1], variant: .aes256, key: [UInt8](repeating: 0, count: 16), nonce: specNonce) }
                == .invalidInput)
        #expect(cryptoErrorKind { try LibCrypto.aesGCMSeal([1], variant: .aes128, key: specKey, nonce: specNonce) } == .invalidInput)
        #expect(cryptoErrorKind { try LibCrypto.aesGCMSeal([1], variant: .aes256, key: specKey, nonce: specNonce + [0]) } == .invalidInput)
    }

    // MARK: SecretSealer

    @Test func sealerUsesAFreshNonceAndOpensItsOwnSeals() throws {
        let sealer = try SecretSealer(key: LibCrypto.randomBytes(32))
        let secret = Array("xoxb-1-2-secret".utf8)
        let first = try sealer.seal(secret, aad: [7])
        let second = try sealer.seal(secret, aad: [7])
        #expect(first.count == secret.count + 28)
        #expect(first.prefix(12) != second.prefix(12))
        #expect(try sealer.open(first, aad: [7]) == secret)
        #expect(try sealer.open(second, aad: [7]) == secret)
        #expect(cryptoErrorKind { try sealer.open(first, aad: [8]) } == .authenticationFailed)
        #expect(cryptoErrorKind { try sealer.open(Array(first.prefix(27)), aad: [7]) } == .authenticationFailed)
        #expect(cryptoErrorKind { try SecretSealer(key: LibCrypto.randomBytes(32)).open(first, aad: [7]) } == .authenticationFailed)
    }

    @Test func sealerKeyIdNamesTheKeyWithoutShowingIt() throws {
        let key = LibCrypto.randomBytes(32)
        let sealer = try SecretSealer(key: key)
        #expect(sealer.keyId.count == 16)
        #expect(sealer.keyId == (try SecretSealer(key: key)).keyId)
        #expect(sealer.keyId != (try SecretSealer(key: LibCrypto.randomBytes(32))).keyId)
        #expect(!hexString(key).contains(sealer.keyId))
        #expect(cryptoErrorKind { try SecretSealer(key: LibCrypto.randomBytes(31)) } == .invalidKey)
        #expect(try sealer.derivedKey(purpose: "a") != (try sealer.derivedKey(purpose: "b")))
    }
}
