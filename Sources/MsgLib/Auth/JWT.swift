import Foundation

/// The claims we read from and write into a token.
public struct JWTClaims: Sendable, Codable, Equatable {
    /// The user's UUID.
    public var sub: String
    /// Expiry, seconds since the epoch. Required.
    public var exp: Int64
    /// Issued at, seconds since the epoch.
    public var iat: Int64?
    /// Not before, seconds since the epoch; honoured when present.
    public var nbf: Int64?

    public init(sub: String, exp: Int64, iat: Int64? = nil, nbf: Int64? = nil) {
        self.sub = sub
        self.exp = exp
        self.iat = iat
        self.nbf = nbf
    }
}

/// Signs and verifies HS256 JSON Web Tokens (RFC 7519) with one secret.
///
/// The algorithm is pinned: a token whose header names any other `alg` (`none`, `RS256`, `HS384`...) is
/// rejected before its signature is looked at. The signature is compared in constant time.
public struct JWTSigner: Sendable {
    private let key: [UInt8]

    /// - Parameter secret: `JWT_SECRET`, used as the HMAC key in its UTF-8 bytes.
    public init(secret: String) {
        self.key = Array(secret.utf8)
    }

    /// Signs `claims` into a compact token.
    public func sign(_ claims: JWTClaims) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(Array((try? encoder.encode(claims)) ?? Data()))
        let signingInput = header + "." + payload
        return signingInput + "." + Base64URL.encode(LibCrypto.hmacSHA256(key: key, data: Array(signingInput.utf8)))
    }

    /// A token for `userId` valid for `ttl` seconds from `now`.
    public func token(for userId: UUID, ttl: Int64, now: Timestamp = .now()) -> String {
        let issued = now.secondsSinceEpoch
        let (exp, overflow) = issued.addingReportingOverflow(ttl)
        return sign(JWTClaims(sub: userId.lowercasedString, exp: overflow ? (ttl > 0 ? .max : .min) : exp, iat: issued))
    }

    /// Verifies `token` and returns its claims.
    /// - Throws: ``AuthError`` saying what is wrong (malformed, algorithm, signature, expired, subject).
    public func verify(_ token: String, now: Timestamp = .now()) throws(AuthError) -> JWTClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(String(parts[0])),
            let payloadBytes = Base64URL.decode(String(parts[1])), let signature = Base64URL.decode(String(parts[2]))
        else { throw .malformedToken }
        struct Header: Decodable { var alg: String }
        guard let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)) else { throw .malformedToken }
        guard header.alg == "HS256" else { throw .unsupportedAlgorithm }
        let expected = LibCrypto.hmacSHA256(key: key, data: Array("\(parts[0]).\(parts[1])".utf8))
        // Compared as text: only the one encoding of the signature is valid (no padding, no stray bits in its last
        // character), so a token cannot be varied into others that verify (each a new entry of the relay's cache).
        guard signature.count == expected.count, LibCrypto.constantTimeEquals(Array(Base64URL.encode(expected).utf8), Array(parts[2].utf8))
        else { throw .badSignature }
        guard let claims = try? JSONDecoder().decode(JWTClaims.self, from: Data(payloadBytes)) else {
            throw .malformedToken
        }
        let seconds = now.secondsSinceEpoch
        guard claims.exp > seconds else { throw .expiredToken }
        if let nbf = claims.nbf, nbf > seconds { throw .tokenNotYetValid }
        guard UUID(uuidString: claims.sub) != nil else { throw .malformedToken }
        return claims
    }
}
