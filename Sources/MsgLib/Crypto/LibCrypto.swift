import CCrypto

/// The OpenSSL libcrypto primitives MsgLib uses: digests (SHA-1, SHA-256), HMAC, HKDF, AES-GCM (128 and 256) and
/// randomness here; P-256 keys, ECDH and ES256 in `LibCrypto+P256.swift`.
///
/// These two files hold all of MsgLib's libcrypto pointer code. Every function is safe to call from any thread: each
/// call makes and frees its own OpenSSL contexts, and OpenSSL's error queue is per thread.
package enum LibCrypto {
    /// HMAC-SHA256 of `data` under `key` (RFC 2104), 32 bytes.
    package static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let capacity = out.count
        let ok = withOctets(key) { keyPointer, keyCount in
            withOctets(data) { dataPointer, dataCount in
                out.withUnsafeMutableBufferPointer { o -> Bool in
                    precondition(o.count == capacity)
                    return HMAC(
                        EVP_sha256(), keyPointer, Int32(keyCount), dataPointer.assumingMemoryBound(to: UInt8.self), dataCount, o.baseAddress, &length)
                        != nil
                }
            }
        }
        precondition(ok, "HMAC-SHA256 failed: \(openSSLErrors())")
        return Array(out.prefix(Int(length)))
    }

    /// SHA-1 of `data` (20 bytes), for the WebSocket handshake's `Sec-WebSocket-Accept` only.
    package static func sha1(_ data: [UInt8]) -> [UInt8] { digest(data, EVP_sha1(), "SHA-1") }

    /// SHA-256 of `data` (32 bytes).
    package static func sha256(_ data: [UInt8]) -> [UInt8] { digest(data, EVP_sha256(), "SHA-256") }

    private static func digest(_ data: [UInt8], _ algorithm: OpaquePointer?, _ name: String) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { d in
            out.withUnsafeMutableBufferPointer { o in EVP_Digest(d.baseAddress, d.count, o.baseAddress, &length, algorithm, nil) }
        }
        precondition(ok == 1, "\(name) failed")
        return Array(out.prefix(Int(length)))
    }

    /// Compares two byte strings in time that depends only on their length.
    package static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 } }
    }

    /// `count` bytes from OpenSSL's CSPRNG.
    package static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(ok == 1, "RAND_bytes failed")
        return out
    }
}

// MARK: - HKDF (RFC 5869)

extension LibCrypto {
    /// The most HKDF-SHA256 can expand to: 255 blocks of 32 bytes.
    package static let hkdfSHA256MaximumLength = 255 * 32

    /// HKDF-Extract with SHA-256 (RFC 5869 §2.2): a 32-byte pseudorandom key from input keying material.
    /// - Parameters:
    ///   - salt: The salt; empty means 32 zero bytes, as the RFC says.
    ///   - ikm: The input keying material.
    /// - Throws: ``CryptoError/Kind/library`` only when OpenSSL itself fails.
    package static func hkdfExtract(salt: [UInt8], ikm: [UInt8]) throws(CryptoError) -> [UInt8] {
        try hkdf(mode: CName.extractOnly, key: ikm, salt: salt.isEmpty ? [UInt8](repeating: 0, count: 32) : salt, info: nil, length: 32)
    }

    /// HKDF-Expand with SHA-256 (RFC 5869 §2.3): `length` bytes of output keying material.
    /// - Parameters:
    ///   - prk: The pseudorandom key, normally the 32 bytes of ``hkdfExtract(salt:ikm:)``.
    ///   - info: Context and application specific information; may be empty.
    ///   - length: 1 to ``hkdfSHA256MaximumLength`` bytes.
    /// - Throws: ``CryptoError/Kind/invalidInput`` for a length out of range; ``CryptoError/Kind/library`` when OpenSSL fails.
    package static func hkdfExpand(prk: [UInt8], info: [UInt8], length: Int) throws(CryptoError) -> [UInt8] {
        guard (1...hkdfSHA256MaximumLength).contains(length) else {
            throw CryptoError(.invalidInput, "HKDF-SHA256 can expand to 1 to \(hkdfSHA256MaximumLength) bytes, not \(length)")
        }
        return try hkdf(mode: CName.expandOnly, key: prk, salt: nil, info: info, length: length)
    }

    /// HKDF-SHA256, extract then expand (RFC 5869 §2).
    /// - Throws: as ``hkdfExpand(prk:info:length:)``.
    package static func hkdf(ikm: [UInt8], salt: [UInt8], info: [UInt8], length: Int) throws(CryptoError) -> [UInt8] {
        try hkdfExpand(prk: hkdfExtract(salt: salt, ikm: ikm), info: info, length: length)
    }

    /// Runs OpenSSL's HKDF in one mode. Every OSSL_PARAM points into memory that lives until `EVP_KDF_derive` returns.
    private static func hkdf(mode: CName, key: [UInt8], salt: [UInt8]?, info: [UInt8]?, length: Int) throws(CryptoError) -> [UInt8] {
        guard let kdf = EVP_KDF_fetch(nil, "HKDF", nil) else { throw .library("EVP_KDF_fetch(HKDF)") }
        defer { EVP_KDF_free(kdf) }
        guard let context = EVP_KDF_CTX_new(kdf) else { throw .library("EVP_KDF_CTX_new") }
        defer { EVP_KDF_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: length)
        let ok = withOctets(key) { keyPointer, keyCount in
            withOctets(salt ?? []) { saltPointer, saltCount in
                withOctets(info ?? []) { infoPointer, infoCount in
                    var params = [
                        OSSL_PARAM_construct_utf8_string(CName.digest.pointer, CName.sha256.mutablePointer, 0),
                        OSSL_PARAM_construct_utf8_string(CName.mode.pointer, mode.mutablePointer, 0),
                        OSSL_PARAM_construct_octet_string(CName.key.pointer, keyPointer, keyCount),
                    ]
                    if salt != nil { params.append(OSSL_PARAM_construct_octet_string(CName.salt.pointer, saltPointer, saltCount)) }
                    if info != nil { params.append(OSSL_PARAM_construct_octet_string(CName.info.pointer, infoPointer, infoCount)) }
                    params.append(OSSL_PARAM_construct_end())
                    return out.withUnsafeMutableBufferPointer { o in EVP_KDF_derive(context, o.baseAddress, length, params) == 1 }
                }
            }
        }
        guard ok else { throw .library("HKDF") }
        return out
    }
}

// MARK: - AES-GCM

extension LibCrypto {
    /// The length of an AES-GCM authentication tag, appended to the ciphertext.
    package static let aesGCMTagLength = 16
    /// The length of an AES-GCM nonce (IV) this wrapper accepts: 96 bits, as NIST SP 800-38D recommends.
    package static let aesGCMNonceLength = 12

    /// The key sizes of AES-GCM this wrapper offers.
    package enum AESGCMVariant: Sendable {
        /// AES-128-GCM, 16-byte keys (Web Push, RFC 8188).
        case aes128
        /// AES-256-GCM, 32-byte keys (tokens stored at rest).
        case aes256

        /// The key length in bytes.
        package var keyLength: Int { self == .aes128 ? 16 : 32 }
        var name: String { self == .aes128 ? "AES-128-GCM" : "AES-256-GCM" }
        var cipher: OpaquePointer? { self == .aes128 ? EVP_aes_128_gcm() : EVP_aes_256_gcm() }
    }

    /// Encrypts `plaintext` with AES-128-GCM; see ``aesGCMSeal(_:variant:key:nonce:aad:)``.
    package static func aes128GCMSeal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        try aesGCMSeal(plaintext, variant: .aes128, key: key, nonce: nonce, aad: aad)
    }

    /// Decrypts and checks AES-128-GCM; see ``aesGCMOpen(_:variant:key:nonce:aad:)``.
    package static func aes128GCMOpen(_ sealed: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        try aesGCMOpen(sealed, variant: .aes128, key: key, nonce: nonce, aad: aad)
    }

    /// Encrypts `plaintext` with AES-GCM and returns ciphertext followed by the 16-byte tag.
    /// - Parameters:
    ///   - variant: AES-128 or AES-256; `key` must have its length.
    ///   - key: 16 bytes (AES-128) or 32 bytes (AES-256).
    ///   - nonce: 12 bytes; never use one twice with the same key.
    ///   - aad: Additional data authenticated but not encrypted; may be empty.
    /// - Throws: ``CryptoError/Kind/invalidInput`` for a key or nonce of the wrong size; ``CryptoError/Kind/library``
    ///   when OpenSSL fails.
    package static func aesGCMSeal(
        _ plaintext: [UInt8], variant: AESGCMVariant, key: [UInt8], nonce: [UInt8], aad: [UInt8] = []
    ) throws(CryptoError) -> [UInt8] {
        try checkGCMParameters(variant, key: key, nonce: nonce, textCount: plaintext.count)
        guard let context = EVP_CIPHER_CTX_new() else { throw .library("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        let count = plaintext.count
        var out = [UInt8](repeating: 0, count: count + aesGCMTagLength)
        let ok = key.withUnsafeBufferPointer { k in
            nonce.withUnsafeBufferPointer { n in
                withOctets(aad) { aadPointer, aadCount in
                    withOctets(plaintext) { input, _ in
                        out.withUnsafeMutableBufferPointer { o -> Bool in
                            guard let output = o.baseAddress else { return false }
                            var aadWritten: Int32 = 0
                            var written: Int32 = 0
                            var finalWritten: Int32 = 0
                            return EVP_EncryptInit_ex(context, variant.cipher, nil, k.baseAddress, n.baseAddress) == 1
                                && (aadCount == 0
                                    || EVP_EncryptUpdate(context, nil, &aadWritten, aadPointer.assumingMemoryBound(to: UInt8.self), Int32(aadCount))
                                        == 1)
                                && (count == 0
                                    || EVP_EncryptUpdate(context, output, &written, input.assumingMemoryBound(to: UInt8.self), Int32(count)) == 1)
                                && EVP_EncryptFinal_ex(context, output + count, &finalWritten) == 1
                                && Int(written) + Int(finalWritten) == count
                                && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(aesGCMTagLength), output + count) == 1
                        }
                    }
                }
            }
        }
        guard ok else { throw .library("\(variant.name) encryption") }
        return out
    }

    /// Decrypts ciphertext-and-tag made by ``aesGCMSeal(_:variant:key:nonce:aad:)`` and checks its tag.
    /// - Throws: ``CryptoError/Kind/authenticationFailed`` when the ciphertext, tag, key, nonce or AAD differ from what
    ///   was sealed; ``CryptoError/Kind/invalidInput`` for a key or nonce of the wrong size.
    package static func aesGCMOpen(
        _ sealed: [UInt8], variant: AESGCMVariant, key: [UInt8], nonce: [UInt8], aad: [UInt8] = []
    ) throws(CryptoError) -> [UInt8] {
        try checkGCMParameters(variant, key: key, nonce: nonce, textCount: sealed.count)
        guard sealed.count >= aesGCMTagLength else {
            throw CryptoError(.authenticationFailed, "AES-GCM input of \(sealed.count) bytes is shorter than its 16-byte tag")
        }
        guard let context = EVP_CIPHER_CTX_new() else { throw .library("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        let count = sealed.count - aesGCMTagLength
        var tag = Array(sealed[count...])
        var out = [UInt8](repeating: 0, count: count + aesGCMTagLength)
        var initialised = false
        let ok = key.withUnsafeBufferPointer { k in
            nonce.withUnsafeBufferPointer { n in
                withOctets(aad) { aadPointer, aadCount in
                    sealed.withUnsafeBufferPointer { input in
                        tag.withUnsafeMutableBytes { t in
                            out.withUnsafeMutableBufferPointer { o -> Bool in
                                guard let output = o.baseAddress, let ciphertext = input.baseAddress else { return false }
                                var written: Int32 = 0
                                var finalWritten: Int32 = 0
                                initialised = EVP_DecryptInit_ex(context, variant.cipher, nil, k.baseAddress, n.baseAddress) == 1
                                return initialised
                                    && (aadCount == 0
                                        || EVP_DecryptUpdate(context, nil, &written, aadPointer.assumingMemoryBound(to: UInt8.self), Int32(aadCount))
                                            == 1)
                                    && (count == 0 || EVP_DecryptUpdate(context, output, &written, ciphertext, Int32(count)) == 1)
                                    && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(aesGCMTagLength), t.baseAddress) == 1
                                    && EVP_DecryptFinal_ex(context, output + count, &finalWritten) == 1
                            }
                        }
                    }
                }
            }
        }
        guard initialised else { throw .library("\(variant.name) decryption") }
        guard ok else {
            ERR_clear_error()
            throw CryptoError(.authenticationFailed, "AES-GCM authentication failed: the ciphertext, tag, key, nonce or AAD is not the one sealed")
        }
        return Array(out.prefix(count))
    }

    private static func checkGCMParameters(_ variant: AESGCMVariant, key: [UInt8], nonce: [UInt8], textCount: Int) throws(CryptoError) {
        guard key.count == variant.keyLength else {
            throw CryptoError(.invalidInput, "\(variant.name) needs a \(variant.keyLength)-byte key, not \(key.count) bytes")
        }
        guard nonce.count == aesGCMNonceLength else {
            throw CryptoError(.invalidInput, "\(variant.name) needs a 12-byte nonce, not \(nonce.count) bytes")
        }
        guard textCount < Int(Int32.max) - aesGCMTagLength else {
            throw CryptoError(.invalidInput, "\(variant.name) input of \(textCount) bytes is too large")
        }
    }
}

// MARK: - Errors and helpers

/// A libcrypto operation refused its input or failed; `description` says which and why.
package struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    package struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String {
            case invalidKey = "invalid key"
            case invalidInput = "invalid input"
            case authenticationFailed = "authentication failed"
            case library
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The bytes are not a key of the kind expected (wrong length, not on the curve, scalar out of range).
        package static let invalidKey = Kind(.invalidKey)
        /// A parameter has the wrong size.
        package static let invalidInput = Kind(.invalidInput)
        /// AES-GCM's tag does not match: the message was altered, or the key, nonce or AAD differ.
        package static let authenticationFailed = Kind(.authenticationFailed)
        /// OpenSSL failed for a reason of its own; the message carries OpenSSL's error queue.
        package static let library = Kind(.library)

        package var description: String { base.rawValue }
    }

    /// What went wrong, for code that reacts to it.
    package let kind: Kind
    /// What went wrong and why, for people.
    package let message: String

    /// An error of `kind` described by `message`.
    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }

    /// `operation` failed inside OpenSSL; drains this thread's OpenSSL error queue into the message.
    static func library(_ operation: String) -> CryptoError {
        CryptoError(.library, "OpenSSL \(operation) failed: \(LibCrypto.openSSLErrors())")
    }
}

extension LibCrypto {
    /// Empties this thread's OpenSSL error queue into one line.
    static func openSSLErrors() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            let count = buffer.count
            buffer.withUnsafeMutableBufferPointer { b in
                ERR_error_string_n(code, b.baseAddress, count)
                messages.append(String(cString: b.baseAddress!))
            }
        }
        return messages.isEmpty ? "no error reported" : messages.joined(separator: "; ")
    }

    /// Calls `body` with a pointer to `bytes` that is never nil, even for no bytes: some OpenSSL calls refuse a NULL
    /// pointer with length 0. OpenSSL only reads through it.
    static func withOctets<R>(_ bytes: [UInt8], _ body: (UnsafeMutableRawPointer, Int) -> R) -> R {
        if bytes.isEmpty {
            var placeholder: UInt8 = 0
            return withUnsafeMutableBytes(of: &placeholder) { body($0.baseAddress!, 0) }
        }
        return bytes.withUnsafeBytes { body(UnsafeMutableRawPointer(mutating: $0.baseAddress!), $0.count) }
    }

    /// An OSSL_PARAM name or string value as a C string with static storage. An OSSL_PARAM (and OSSL_PARAM_BLD) keeps
    /// the pointers it is given, so a Swift `String` bridged for the length of one call would dangle; the headers'
    /// own macros (core_names.h) reach Swift only as `String`, hence these literals, named after them.
    struct CName: Sendable {
        let text: StaticString
        init(_ text: StaticString) { self.text = text }

        var pointer: UnsafePointer<CChar> { UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self) }
        /// For OpenSSL signatures that take `char *` although they only read it.
        var mutablePointer: UnsafeMutablePointer<CChar> { UnsafeMutablePointer(mutating: pointer) }

        /// OSSL_KDF_PARAM_DIGEST
        static let digest = CName("digest")
        /// OSSL_KDF_PARAM_MODE
        static let mode = CName("mode")
        /// OSSL_KDF_PARAM_KEY
        static let key = CName("key")
        /// OSSL_KDF_PARAM_SALT
        static let salt = CName("salt")
        /// OSSL_KDF_PARAM_INFO
        static let info = CName("info")
        /// HKDF modes, as the provider accepts them in OSSL_KDF_PARAM_MODE.
        static let extractOnly = CName("EXTRACT_ONLY")
        static let expandOnly = CName("EXPAND_ONLY")
        /// OSSL_DIGEST_NAME_SHA2_256
        static let sha256 = CName("SHA2-256")
        /// OSSL_PKEY_PARAM_GROUP_NAME
        static let group = CName("group")
        /// OSSL_PKEY_PARAM_PUB_KEY
        static let publicKey = CName("pub")
        /// OSSL_PKEY_PARAM_PRIV_KEY
        static let privateKey = CName("priv")
        /// SN_X9_62_prime256v1, the name OpenSSL gives P-256.
        static let prime256v1 = CName("prime256v1")
    }
}
