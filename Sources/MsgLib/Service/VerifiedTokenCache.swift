import Synchronization

/// Tokens already verified, with their claims, so a browser's repeated token is checked by one dictionary
/// look-up instead of base64, JSON and HMAC. Expiry is still checked on every use.
///
/// Sized for 50,000 users active at once (with ``UserCache``, about 45 MB when both are full): a cache smaller than the
/// set of users sending drops a tenth of itself each time it fills, and every send of a dropped user is verified again.
final class VerifiedTokenCache: Sendable {
    private let entries = Mutex<[String: JWTClaims]>([:])
    let capacity: Int

    init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    func claims(_ token: String, now: Timestamp = .now(), verify: (String) throws(AuthError) -> JWTClaims) throws(AuthError) -> JWTClaims {
        let seconds = now.secondsSinceEpoch
        if let cached = entries.withLock({ $0[token] }) {
            guard cached.exp > seconds else { throw .expiredToken }
            if let nbf = cached.nbf, nbf > seconds { throw .tokenNotYetValid }
            return cached
        }
        let claims = try verify(token)
        entries.withLock { entries in
            if entries.count >= capacity { entries.makeRoom(capacity: capacity) { $0.exp > seconds } }
            entries[token] = claims
        }
        return claims
    }
}
