import CCrypto

// P-256 (secp256r1, prime256v1) keys, ECDH and ES256 on libcrypto. The key types hold raw bytes, so they are plain
// Sendable values; each operation builds the EVP_PKEY it needs and frees it before returning.

extension LibCrypto {
    /// A P-256 public key, known to be a point on the curve.
    package struct P256PublicKey: Sendable, Hashable, CustomStringConvertible {
        /// The 65-byte uncompressed SEC1 point `0x04 || X || Y`.
        package let uncompressedPoint: [UInt8]

        /// Loads a public key from its 65-byte uncompressed SEC1 point.
        /// - Throws: ``CryptoError/Kind/invalidKey`` when the bytes are not 65 long, not in uncompressed form, or not a
        ///   point on P-256.
        package init(uncompressedPoint: [UInt8]) throws(CryptoError) {
            guard uncompressedPoint.count == 65, uncompressedPoint[0] == 0x04 else {
                throw CryptoError(
                    .invalidKey, "a P-256 public key is a 65-byte uncompressed point starting with 0x04, not \(uncompressedPoint.count) bytes")
            }
            guard try LibCrypto.isOnP256(uncompressedPoint) else { throw CryptoError(.invalidKey, "the bytes are not a point on P-256") }
            self.uncompressedPoint = uncompressedPoint
        }

        /// A point already known to be valid (read back from OpenSSL).
        fileprivate init(trusted point: [UInt8]) {
            self.uncompressedPoint = point
        }

        /// Checks an ES256 signature (ECDSA P-256 with SHA-256) of `message` in the 64-byte JOSE form `r || s`
        /// (RFC 7518 §3.4). False for any signature that does not verify, including one of the wrong length.
        package func isValidES256Signature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
            defer { ERR_clear_error() }
            guard signature.count == 64, let der = LibCrypto.derSignature(fromRaw: signature) else { return false }
            guard let key = try? LibCrypto.makeKey(publicPoint: uncompressedPoint, scalar: nil) else { return false }
            defer { EVP_PKEY_free(key) }
            guard let context = EVP_MD_CTX_new() else { return false }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else { return false }
            return der.withUnsafeBufferPointer { d in
                LibCrypto.withOctets(message) { m, count in
                    EVP_DigestVerify(context, d.baseAddress, d.count, m.assumingMemoryBound(to: UInt8.self), count) == 1
                }
            }
        }

        /// The point in base64url without padding.
        package var description: String { Base64URL.encode(uncompressedPoint) }
    }

    /// A P-256 private key: its scalar and the public key that goes with it.
    ///
    /// `description` shows only the public key, so the key can be logged or interpolated without leaking.
    package struct P256PrivateKey: Sendable, CustomStringConvertible {
        /// The 32-byte big-endian private scalar.
        package let rawScalar: [UInt8]
        /// The matching public key.
        package let publicKey: P256PublicKey

        /// A new random key pair from OpenSSL's key generator. Stops the program if OpenSSL cannot make one, as
        /// ``LibCrypto/randomBytes(_:)`` does when its generator fails.
        package static func generate() -> P256PrivateKey {
            do {
                return try LibCrypto.generateP256()
            } catch {
                preconditionFailure("P-256 key generation failed: \(error)")
            }
        }

        /// Loads a private key from its raw 32-byte big-endian scalar and derives its public key.
        /// - Throws: ``CryptoError/Kind/invalidKey`` when the scalar is not 32 bytes, or is zero or not below the
        ///   curve order.
        package init(rawScalar: [UInt8]) throws(CryptoError) {
            guard rawScalar.count == 32 else {
                throw CryptoError(.invalidKey, "a P-256 private key is a 32-byte scalar, not \(rawScalar.count) bytes")
            }
            self.rawScalar = rawScalar
            self.publicKey = P256PublicKey(trusted: try LibCrypto.p256PublicPoint(forScalar: rawScalar))
        }

        fileprivate init(trustedScalar: [UInt8], publicPoint: [UInt8]) {
            self.rawScalar = trustedScalar
            self.publicKey = P256PublicKey(trusted: publicPoint)
        }

        /// The ECDH shared secret with `peer`: the 32-byte X coordinate of the shared point, unhashed (SEC1 §3.3.1).
        /// - Throws: ``CryptoError/Kind/library`` when OpenSSL fails.
        package func sharedSecret(with peer: P256PublicKey) throws(CryptoError) -> [UInt8] {
            let key = try LibCrypto.makeKey(publicPoint: publicKey.uncompressedPoint, scalar: rawScalar)
            defer { EVP_PKEY_free(key) }
            let peerKey = try LibCrypto.makeKey(publicPoint: peer.uncompressedPoint, scalar: nil)
            defer { EVP_PKEY_free(peerKey) }
            guard let context = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else { throw .library("EVP_PKEY_CTX_new_from_pkey") }
            defer { EVP_PKEY_CTX_free(context) }
            var secret = [UInt8](repeating: 0, count: 32)
            var length = secret.count
            // The peer is a P256PublicKey, already checked to be a point on the curve other than infinity; with
            // P-256's cofactor of 1 that is the whole validation, so OpenSSL is not asked to repeat it (which costs
            // about as much as the ECDH itself).
            guard EVP_PKEY_derive_init(context) == 1, EVP_PKEY_derive_set_peer_ex(context, peerKey, 0) == 1,
                secret.withUnsafeMutableBufferPointer({ EVP_PKEY_derive(context, $0.baseAddress, &length) }) == 1, length == 32
            else { throw .library("ECDH") }
            return secret
        }

        /// Signs `message` with ES256 (ECDSA P-256 with SHA-256) and returns the 64-byte JOSE form `r || s`
        /// (RFC 7518 §3.4), not DER.
        /// - Throws: ``CryptoError/Kind/library`` when OpenSSL fails.
        package func signES256(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
            let key = try LibCrypto.makeKey(publicPoint: publicKey.uncompressedPoint, scalar: rawScalar)
            defer { EVP_PKEY_free(key) }
            guard let context = EVP_MD_CTX_new() else { throw .library("EVP_MD_CTX_new") }
            defer { EVP_MD_CTX_free(context) }
            guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else { throw .library("EVP_DigestSignInit") }
            var der = [UInt8](repeating: 0, count: Int(EVP_PKEY_get_size(key)))
            var length = der.count
            let signed = LibCrypto.withOctets(message) { m, count in
                der.withUnsafeMutableBufferPointer { d in
                    EVP_DigestSign(context, d.baseAddress, &length, m.assumingMemoryBound(to: UInt8.self), count) == 1
                }
            }
            guard signed, let raw = LibCrypto.rawSignature(fromDER: Array(der.prefix(length))) else { throw .library("ECDSA signing") }
            return raw
        }

        package var description: String { "P256PrivateKey(public: \(publicKey))" }
    }
}

// MARK: - Pointer work

/// The P-256 group, built once for the process (building it costs about as much as decoding a point) and never
/// freed. The functions it is passed to take it as `const` and only read it, so threads share it.
private struct SharedGroup: @unchecked Sendable {
    let pointer: OpaquePointer?
}
private let p256Group = SharedGroup(pointer: EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1))

extension LibCrypto {
    /// Calls `body` with the P-256 group.
    private static func withP256Group<R>(_ body: (OpaquePointer) -> R) throws(CryptoError) -> R {
        guard let group = p256Group.pointer else { throw .library("EC_GROUP_new_by_curve_name(P-256)") }
        return body(group)
    }

    /// Whether `point` (65 bytes, 0x04 first) decodes to a point on P-256 other than infinity.
    fileprivate static func isOnP256(_ point: [UInt8]) throws(CryptoError) -> Bool {
        let valid = try withP256Group { group -> Bool in
            guard let decoded = EC_POINT_new(group) else { return false }
            defer { EC_POINT_free(decoded) }
            return point.withUnsafeBufferPointer { p in EC_POINT_oct2point(group, decoded, p.baseAddress, p.count, nil) == 1 }
                && EC_POINT_is_on_curve(group, decoded, nil) == 1 && EC_POINT_is_at_infinity(group, decoded) == 0
        }
        ERR_clear_error()
        return valid
    }

    /// The uncompressed public point `scalar × G`.
    /// - Throws: ``CryptoError/Kind/invalidKey`` when the scalar is zero or not below the group order.
    fileprivate static func p256PublicPoint(forScalar scalar: [UInt8]) throws(CryptoError) -> [UInt8] {
        enum Outcome {
            case point([UInt8])
            case outOfRange
            case failed
        }
        let outcome = try withP256Group { group -> Outcome in
            guard let d = scalar.withUnsafeBufferPointer({ BN_bin2bn($0.baseAddress, Int32($0.count), nil) }) else { return .failed }
            defer { BN_clear_free(d) }
            guard BN_is_zero(d) == 0, BN_cmp(d, EC_GROUP_get0_order(group)) < 0 else { return .outOfRange }
            guard let product = EC_POINT_new(group) else { return .failed }
            defer { EC_POINT_free(product) }
            var out = [UInt8](repeating: 0, count: 65)
            let count = out.count
            guard EC_POINT_mul(group, product, d, nil, nil, nil) == 1,
                out.withUnsafeMutableBufferPointer({ EC_POINT_point2oct(group, product, POINT_CONVERSION_UNCOMPRESSED, $0.baseAddress, count, nil) })
                    == count
            else { return .failed }
            return .point(out)
        }
        switch outcome {
        case .point(let point): return point
        case .outOfRange: throw CryptoError(.invalidKey, "the P-256 private scalar is zero or not below the curve order")
        case .failed: throw .library("P-256 public key derivation")
        }
    }

    /// A new P-256 key pair from EVP key generation, read back as raw bytes.
    fileprivate static func generateP256() throws(CryptoError) -> P256PrivateKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw .library("EVP_PKEY_CTX_new_from_name(EC)") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_group_name(context, CName.prime256v1.pointer) == 1,
            EVP_PKEY_generate(context, &key) == 1, let key
        else { throw .library("P-256 key generation") }
        defer { EVP_PKEY_free(key) }
        var scalarNumber: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key, CName.privateKey.pointer, &scalarNumber) == 1, let scalarNumber else {
            throw .library("reading the generated private key")
        }
        defer { BN_clear_free(scalarNumber) }
        var scalar = [UInt8](repeating: 0, count: 32)
        var point = [UInt8](repeating: 0, count: 65)
        var pointLength = 0
        let scalarCount = scalar.count
        let pointCount = point.count
        guard scalar.withUnsafeMutableBufferPointer({ BN_bn2binpad(scalarNumber, $0.baseAddress, Int32(scalarCount)) }) == 32,
            point.withUnsafeMutableBufferPointer({
                EVP_PKEY_get_octet_string_param(key, CName.publicKey.pointer, $0.baseAddress, pointCount, &pointLength)
            }) == 1,
            pointLength == 65, point[0] == 0x04
        else { throw .library("reading the generated key pair") }
        return P256PrivateKey(trustedScalar: scalar, publicPoint: point)
    }

    /// An EVP_PKEY for a P-256 public point, with its private scalar when one is given. The caller frees it with
    /// `EVP_PKEY_free`. The bytes must already be valid (the key types check them).
    fileprivate static func makeKey(publicPoint: [UInt8], scalar: [UInt8]?) throws(CryptoError) -> OpaquePointer {
        guard let builder = OSSL_PARAM_BLD_new() else { throw .library("OSSL_PARAM_BLD_new") }
        defer { OSSL_PARAM_BLD_free(builder) }
        var scalarNumber: OpaquePointer?
        defer { if let scalarNumber { BN_clear_free(scalarNumber) } }
        if let scalar {
            scalarNumber = scalar.withUnsafeBufferPointer { s in BN_secure_new().flatMap { BN_bin2bn(s.baseAddress, Int32(s.count), $0) } }
            guard let scalarNumber, OSSL_PARAM_BLD_push_BN(builder, CName.privateKey.pointer, scalarNumber) == 1 else {
                throw .library("OSSL_PARAM_BLD_push_BN")
            }
        }
        // The builder keeps the point's address until OSSL_PARAM_BLD_to_param copies it, so both happen in one scope.
        let params = publicPoint.withUnsafeBytes { p -> UnsafeMutablePointer<OSSL_PARAM>? in
            guard OSSL_PARAM_BLD_push_utf8_string(builder, CName.group.pointer, CName.prime256v1.pointer, 0) == 1,
                OSSL_PARAM_BLD_push_octet_string(builder, CName.publicKey.pointer, p.baseAddress, p.count) == 1
            else { return nil }
            return OSSL_PARAM_BLD_to_param(builder)
        }
        guard let params else { throw .library("OSSL_PARAM_BLD_to_param") }
        defer { OSSL_PARAM_free(params) }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw .library("EVP_PKEY_CTX_new_from_name(EC)") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        let selection = scalar == nil ? ccrypto_selection_public_key() : ccrypto_selection_keypair()
        guard EVP_PKEY_fromdata_init(context) == 1, EVP_PKEY_fromdata(context, &key, selection, params) == 1, let key else {
            throw .library("EVP_PKEY_fromdata(P-256)")
        }
        return key
    }

    /// The DER `ECDSA-Sig-Value` for a 64-byte `r || s`, nil when it cannot be encoded.
    fileprivate static func derSignature(fromRaw raw: [UInt8]) -> [UInt8]? {
        guard let signature = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(signature) }
        let r = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, 32, nil) }
        let s = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + 32, 32, nil) }
        guard let r, let s, ECDSA_SIG_set0(signature, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            return nil
        }
        var der: UnsafeMutablePointer<UInt8>?
        let length = i2d_ECDSA_SIG(signature, &der)
        defer { ccrypto_free(der) }
        guard length > 0, let der else { return nil }
        return Array(UnsafeBufferPointer(start: der, count: Int(length)))
    }

    /// The 64-byte `r || s` of a DER `ECDSA-Sig-Value`, nil when it does not parse.
    fileprivate static func rawSignature(fromDER der: [UInt8]) -> [UInt8]? {
        let signature = der.withUnsafeBufferPointer { d -> OpaquePointer? in
            var cursor = d.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, d.count)
        }
        guard let signature else { return nil }
        defer { ECDSA_SIG_free(signature) }
        var r: OpaquePointer?
        var s: OpaquePointer?
        ECDSA_SIG_get0(signature, &r, &s)
        var raw = [UInt8](repeating: 0, count: 64)
        let written = raw.withUnsafeMutableBufferPointer { out in
            BN_bn2binpad(r, out.baseAddress, 32) == 32 && BN_bn2binpad(s, out.baseAddress! + 32, 32) == 32
        }
        return written ? raw : nil
    }
}
