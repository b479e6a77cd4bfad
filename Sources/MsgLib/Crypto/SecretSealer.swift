/// Encrypts short secrets for storage with AES-256-GCM under one 32-byte key.
///
/// Each seal draws a fresh random 12-byte nonce and returns `nonce || ciphertext || tag`; the associated data binds
/// the secret to what it belongs to (a row's identity), so a sealed value moved to another row does not open.
/// The key never leaves the value; ``keyId`` names it without revealing it.
package struct SecretSealer: Sendable {
    /// The key length: AES-256.
    package static let keyLength = LibCrypto.AESGCMVariant.aes256.keyLength
    /// What a seal adds to its plaintext: the nonce and the tag.
    package static let overhead = LibCrypto.aesGCMNonceLength + LibCrypto.aesGCMTagLength

    private let key: [UInt8]
    /// A short public name of the key (16 hex digits of an HMAC under it), stored beside what it sealed so that a
    /// reader can tell "sealed under another key" from "altered".
    package let keyId: String

    /// A sealer for `key`.
    /// - Throws: ``CryptoError/Kind/invalidKey`` when `key` is not 32 bytes.
    package init(key: [UInt8]) throws(CryptoError) {
        guard key.count == Self.keyLength else {
            throw CryptoError(.invalidKey, "the key must be \(Self.keyLength) bytes, not \(key.count)")
        }
        self.key = key
        let id = LibCrypto.hmacSHA256(key: key, data: Array("msgrelay secret sealer key id".utf8)).prefix(8)
        self.keyId = Hex.lowercase(id)
    }

    /// `nonce || ciphertext || tag` of `plaintext` under a fresh random nonce.
    package func seal(_ plaintext: [UInt8], aad: [UInt8]) throws(CryptoError) -> [UInt8] {
        let nonce = LibCrypto.randomBytes(LibCrypto.aesGCMNonceLength)
        return try nonce + LibCrypto.aesGCMSeal(plaintext, variant: .aes256, key: key, nonce: nonce, aad: aad)
    }

    /// The plaintext of a value made by ``seal(_:aad:)`` with the same key and `aad`.
    /// - Throws: ``CryptoError/Kind/authenticationFailed`` when the value is too short, altered, or was sealed under
    ///   another key or associated data.
    package func open(_ sealed: [UInt8], aad: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard sealed.count >= Self.overhead else {
            throw CryptoError(.authenticationFailed, "a sealed value of \(sealed.count) bytes is shorter than its nonce and tag")
        }
        let nonce = Array(sealed.prefix(LibCrypto.aesGCMNonceLength))
        return try LibCrypto.aesGCMOpen(Array(sealed.dropFirst(LibCrypto.aesGCMNonceLength)), variant: .aes256, key: key, nonce: nonce, aad: aad)
    }

    /// A 32-byte key for another purpose derived from this one (HKDF-SHA256 with `purpose` as info), so one
    /// configured key can also sign, without that use weakening the encryption.
    package func derivedKey(purpose: String) throws(CryptoError) -> [UInt8] {
        try LibCrypto.hkdf(ikm: key, salt: [], info: Array(purpose.utf8), length: 32)
    }
}
