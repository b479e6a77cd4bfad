import Foundation
import Synchronization

/// The application server's VAPID key pair (RFC 8292), in the base64url forms `web-push generate-vapid-keys` and
/// py-vapid print: the public key as its 65-byte uncompressed point, the private key as its 32-byte scalar.
package struct VAPIDKeys: Sendable, CustomStringConvertible {
    /// The P-256 key pair that signs VAPID tokens.
    package let privateKey: LibCrypto.P256PrivateKey

    /// Wraps a key pair.
    package init(privateKey: LibCrypto.P256PrivateKey) {
        self.privateKey = privateKey
    }

    /// A new random key pair.
    package static func generate() -> VAPIDKeys {
        VAPIDKeys(privateKey: .generate())
    }

    /// Loads `VAPID_PUBLIC_KEY` and `VAPID_PRIVATE_KEY`. Surrounding whitespace is ignored; `=` padding is accepted.
    /// - Throws: ``VAPIDError`` saying which of the two is malformed, or that they are not one pair.
    package init(publicKey: String, privateKey: String) throws(VAPIDError) {
        let privateText = privateKey.trimmingCharacters(in: .whitespacesAndNewlines)
        let publicText = publicKey.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let scalar = Base64URL.decode(privateText) else {
            throw .invalidPrivateKey("VAPID_PRIVATE_KEY is not a base64url P-256 private key (32 bytes): it is not base64url")
        }
        guard scalar.count == 32 else {
            throw .invalidPrivateKey("VAPID_PRIVATE_KEY is not a base64url P-256 private key (32 bytes): it decodes to \(scalar.count) bytes")
        }
        guard let key = try? LibCrypto.P256PrivateKey(rawScalar: scalar) else {
            throw .invalidPrivateKey("VAPID_PRIVATE_KEY is not a valid P-256 private key: the scalar is zero or not below the curve order")
        }
        guard let point = Base64URL.decode(publicText) else {
            throw .invalidPublicKey("VAPID_PUBLIC_KEY is not a base64url P-256 public key (65-byte uncompressed point): it is not base64url")
        }
        guard point.count == 65, point[0] == 0x04 else {
            throw .invalidPublicKey(
                "VAPID_PUBLIC_KEY is not a base64url P-256 public key (65-byte uncompressed point starting with 0x04): it decodes to "
                    + "\(point.count) bytes")
        }
        guard let given = try? LibCrypto.P256PublicKey(uncompressedPoint: point) else {
            throw .invalidPublicKey("VAPID_PUBLIC_KEY is not a P-256 public key: the point is not on the curve")
        }
        guard given == key.publicKey else {
            throw .keyMismatch("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY, whose public key is \(key.publicKey)")
        }
        self.privateKey = key
    }

    /// The public key in base64url without padding: the value of `VAPID_PUBLIC_KEY`, of the `k` parameter, and the
    /// `applicationServerKey` a browser subscribes with.
    package var publicKeyBase64URL: String { Base64URL.encode(privateKey.publicKey.uncompressedPoint) }

    /// The private scalar in base64url without padding: the value of `VAPID_PRIVATE_KEY`. Keep it secret.
    package var privateKeyBase64URL: String { Base64URL.encode(privateKey.rawScalar) }

    /// Shows the public key only.
    package var description: String { "VAPIDKeys(public: \(publicKeyBase64URL))" }
}

/// Makes VAPID `Authorization` headers (RFC 8292): an ES256 JWT naming the push service's origin, an expiry and a
/// contact, signed with the application server's key.
package struct VAPIDSigner: Sendable {
    /// The longest a token may live: push services refuse an `exp` more than 24 hours ahead (RFC 8292 §2).
    package static let maximumLifetime: Int64 = 24 * 3600
    /// How long tokens live unless told otherwise: 12 hours.
    package static let defaultLifetime: Int64 = 12 * 3600

    /// The key pair that signs the tokens.
    package let keys: VAPIDKeys
    /// The `sub` claim: a `mailto:` or `https:` URI where the push service can reach the operator.
    package let subject: String
    /// Seconds from signing to `exp`.
    package let lifetime: Int64
    /// Tokens already signed, by audience, for ``authorization(for:now:)``.
    private let cache = VAPIDTokenCache()

    /// - Parameters:
    ///   - keys: The application server's key pair.
    ///   - subject: `VAPID_SUBJECT`, a `mailto:` address or an `https:` URL.
    ///   - lifetime: Seconds a token stays valid, 1 to ``maximumLifetime``; default ``defaultLifetime``.
    /// - Throws: ``VAPIDError/Kind/invalidSubject`` or ``VAPIDError/Kind/invalidLifetime``.
    package init(keys: VAPIDKeys, subject: String, lifetime: Int64 = defaultLifetime) throws(VAPIDError) {
        try Self.checkSubject(subject)
        guard (1...Self.maximumLifetime).contains(lifetime) else {
            throw .invalidLifetime("VAPID token lifetime must be 1 to \(Self.maximumLifetime) seconds (24 h), not \(lifetime)")
        }
        self.keys = keys
        self.subject = subject
        self.lifetime = lifetime
    }

    /// The `aud` claim for a push endpoint: its origin `scheme://host[:port]`, lowercased, without path, query or
    /// default port.
    /// - Throws: ``VAPIDError/Kind/invalidEndpoint`` unless `endpoint` is an absolute `https:` (or `http:`) URL with a host.
    package static func audience(for endpoint: String) throws(VAPIDError) -> String {
        guard let components = URLComponents(string: endpoint), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http", var host = components.host?.lowercased(), !host.isEmpty
        else { throw .invalidEndpoint("push endpoint is not an absolute https URL with a host") }
        if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }
        var origin = "\(scheme)://\(host)"
        if let port = components.port, port != (scheme == "https" ? 443 : 80) { origin += ":\(port)" }
        return origin
    }

    /// A signed VAPID token (compact JWT) for `endpoint`, expiring ``lifetime`` seconds after `now`.
    /// - Throws: ``VAPIDError/Kind/invalidEndpoint``; ``VAPIDError/Kind/signingFailed`` when OpenSSL fails.
    package func token(for endpoint: String, now: Timestamp = .now()) throws(VAPIDError) -> String {
        struct Claims: Encodable {
            var aud: String
            var exp: Int64
            var sub: String
        }
        let claims = Claims(aud: try Self.audience(for: endpoint), exp: now.secondsSinceEpoch + lifetime, sub: subject)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let payload = try? encoder.encode(claims) else { throw .signingFailed("VAPID claims could not be encoded") }
        let signingInput = Base64URL.encode(Array(#"{"typ":"JWT","alg":"ES256"}"#.utf8)) + "." + Base64URL.encode(Array(payload))
        do {
            return signingInput + "." + Base64URL.encode(try keys.privateKey.signES256(Array(signingInput.utf8)))
        } catch {
            throw .signingFailed("VAPID token signing failed: \(error)")
        }
    }

    /// The `Authorization` header value for a push to `endpoint`: `vapid t=<token>, k=<public key>` (RFC 8292 §3).
    ///
    /// A token is reused for every push to the same push service (RFC 8292 §2 allows it) during the first half of
    /// its lifetime, so it always has at least half its lifetime left when sent; a new one is signed after that.
    /// - Throws: as ``token(for:now:)``.
    package func authorization(for endpoint: String, now: Timestamp = .now()) throws(VAPIDError) -> String {
        let audience = try Self.audience(for: endpoint)
        let token: String
        if let cached = cache.token(for: audience, at: now.secondsSinceEpoch, reuseFor: lifetime / 2) {
            token = cached
        } else {
            token = try self.token(for: endpoint, now: now)
            cache.store(token, for: audience, signedAt: now.secondsSinceEpoch)
        }
        return "vapid t=\(token), k=\(keys.publicKeyBase64URL)"
    }

    private static func checkSubject(_ subject: String) throws(VAPIDError) {
        let invalid = VAPIDError.invalidSubject(
            "VAPID_SUBJECT must be a mailto: address or an https: URL where the push service can reach you, e.g. mailto:admin@example.com")
        guard !subject.contains(where: \.isWhitespace) else { throw invalid }
        let lowered = subject.lowercased()
        if lowered.hasPrefix("mailto:") {
            let address = subject.dropFirst("mailto:".count)
            guard let at = address.firstIndex(of: "@"), at != address.startIndex, address.index(after: at) != address.endIndex else {
                throw invalid
            }
        } else if lowered.hasPrefix("https:") {
            guard let host = URLComponents(string: subject)?.host, !host.isEmpty else { throw invalid }
        } else {
            throw invalid
        }
    }
}

/// VAPID tokens signed recently, by audience, shared by the copies of one ``VAPIDSigner``.
final class VAPIDTokenCache: Sendable {
    /// More audiences than push services exist; past it the cache starts again, so odd endpoints cannot grow it.
    static let capacity = 64
    private let entries = Mutex<[String: (token: String, signedAt: Int64)]>([:])

    /// The token signed for `audience` at most `reuseFor` seconds before `now` (and not after it).
    func token(for audience: String, at now: Int64, reuseFor: Int64) -> String? {
        entries.withLock { entries in
            guard let entry = entries[audience], entry.signedAt <= now, now - entry.signedAt < reuseFor else { return nil }
            return entry.token
        }
    }

    func store(_ token: String, for audience: String, signedAt: Int64) {
        entries.withLock { entries in
            if entries.count >= Self.capacity, entries[audience] == nil { entries.removeAll(keepingCapacity: true) }
            entries[audience] = (token, signedAt)
        }
    }
}

/// Why VAPID keys, a subject or a token could not be made; `description` is a message for the operator.
package struct VAPIDError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    package struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String {
            case invalidPublicKey, invalidPrivateKey, keyMismatch, invalidSubject, invalidLifetime, invalidEndpoint, signingFailed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// `VAPID_PUBLIC_KEY` is not a base64url uncompressed P-256 point.
        package static let invalidPublicKey = Kind(.invalidPublicKey)
        /// `VAPID_PRIVATE_KEY` is not a base64url 32-byte P-256 scalar.
        package static let invalidPrivateKey = Kind(.invalidPrivateKey)
        /// The two keys are valid but not one pair.
        package static let keyMismatch = Kind(.keyMismatch)
        /// The subject is neither a `mailto:` address nor an `https:` URL.
        package static let invalidSubject = Kind(.invalidSubject)
        /// The token lifetime is not 1 second to 24 hours.
        package static let invalidLifetime = Kind(.invalidLifetime)
        /// The push endpoint is not an http(s) URL with a host.
        package static let invalidEndpoint = Kind(.invalidEndpoint)
        /// OpenSSL could not sign.
        package static let signingFailed = Kind(.signingFailed)

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

    static func invalidPublicKey(_ message: String) -> VAPIDError { VAPIDError(.invalidPublicKey, message) }
    static func invalidPrivateKey(_ message: String) -> VAPIDError { VAPIDError(.invalidPrivateKey, message) }
    static func keyMismatch(_ message: String) -> VAPIDError { VAPIDError(.keyMismatch, message) }
    static func invalidSubject(_ message: String) -> VAPIDError { VAPIDError(.invalidSubject, message) }
    static func invalidLifetime(_ message: String) -> VAPIDError { VAPIDError(.invalidLifetime, message) }
    static func invalidEndpoint(_ message: String) -> VAPIDError { VAPIDError(.invalidEndpoint, message) }
    static func signingFailed(_ message: String) -> VAPIDError { VAPIDError(.signingFailed, message) }
}
