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

    private enum CodingKeys: String, CodingKey { case sub, exp, iat, nbf }

    /// Dates are NumericDates (RFC 7519 section 2): any JSON number, fractions included (PyJWT writes `time.time()`
    /// as it is). A fraction is rounded toward the stricter side: `exp` down, `nbf` up.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        sub = try container.decode(String.self, forKey: .sub)
        guard let exp = try Self.numericDate(container, .exp, rounding: .down) else {
            throw DecodingError.keyNotFound(CodingKeys.exp, .init(codingPath: container.codingPath, debugDescription: "exp is required"))
        }
        self.exp = exp
        iat = try Self.numericDate(container, .iat, rounding: .down)
        nbf = try Self.numericDate(container, .nbf, rounding: .up)
    }

    private static func numericDate(
        _ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, rounding: FloatingPointRoundingRule
    ) throws -> Int64? {
        guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
        if let whole = try? container.decode(Int64.self, forKey: key) { return whole }
        let value = try container.decode(Double.self, forKey: key).rounded(rounding)
        guard value.isFinite else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not a NumericDate")
        }
        // Beyond Int64 the date is as far as any date can be; clamped rather than refused.
        return value >= 9.2e18 ? .max : value <= -9.2e18 ? .min : Int64(value)
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

    /// The header this signer and most others write, known to name HS256 without being parsed.
    private static let usualHeader = Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8)

    /// Signs `claims` into a compact token.
    public func sign(_ claims: JWTClaims) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header = Base64URL.encode(Self.usualHeader)
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
        if headerBytes != Self.usualHeader {
            struct Header: Decodable { var alg: String }
            guard let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)) else { throw .malformedToken }
            guard header.alg == "HS256" else { throw .unsupportedAlgorithm }
        }
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
