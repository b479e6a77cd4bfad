/// Slack's request signatures, version 0: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">`
/// under the app's signing secret, with the time of signing in `X-Slack-Request-Timestamp`.
///
/// Verification works on the raw body as received, before anything parses it; the signature is compared in constant
/// time, and a timestamp more than ``tolerance`` seconds from now (either way) is refused, so a captured request
/// cannot be replayed later.
package struct SlackSignature: Sendable {
    /// The signature scheme's version, the prefix of the signed text and of the header.
    package static let version = "v0"
    /// How far, in seconds, a request's timestamp may be from now: 5 minutes, as Slack recommends.
    package static let tolerance: Int64 = 300

    private let secret: [UInt8]

    /// - Parameter signingSecret: the app's signing secret (Slack's app settings, "Basic Information").
    package init(signingSecret: String) {
        self.secret = Array(signingSecret.utf8)
    }

    /// The `X-Slack-Signature` value of `body` sent at `timestamp` (seconds since the epoch, as text).
    package func signature(timestamp: String, body: [UInt8]) -> String {
        let signed = Array("\(Self.version):\(timestamp):".utf8) + body
        return "\(Self.version)=" + Hex.lowercase(LibCrypto.hmacSHA256(key: secret, data: signed))
    }

    /// Checks a request's signature.
    /// - Parameters:
    ///   - timestamp: the `X-Slack-Request-Timestamp` header, if any.
    ///   - signature: the `X-Slack-Signature` header, if any.
    ///   - body: the raw body, exactly as received.
    ///   - now: seconds since the epoch.
    /// - Throws: ``SlackSignatureError`` saying what is wrong (for the log; the client is told only that it failed).
    package func verify(timestamp: String?, signature: String?, body: [UInt8], now: Int64) throws(SlackSignatureError) {
        let (timestamp, signature) = try Self.checkHeaders(timestamp: timestamp, signature: signature, now: now)
        let expected = Array(self.signature(timestamp: timestamp, body: body).utf8)
        guard LibCrypto.constantTimeEquals(expected, Array(signature.utf8)) else { throw .mismatch }
    }

    /// What can be checked before the body is read: both headers there, the timestamp a number of seconds within
    /// ``tolerance`` of `now`. Returns them.
    package static func checkHeaders(timestamp: String?, signature: String?, now: Int64) throws(SlackSignatureError) -> (String, String) {
        guard let timestamp, !timestamp.isEmpty, let signature, !signature.isEmpty else { throw .missingHeaders }
        guard timestamp.utf8.count <= 12, timestamp.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let seconds = Int64(timestamp) else {
            throw .malformedTimestamp
        }
        guard abs(now - seconds) <= tolerance else { throw .stale }
        return (timestamp, signature)
    }
}

/// Why a request's Slack signature was refused.
package enum SlackSignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `X-Slack-Request-Timestamp` or `X-Slack-Signature` is missing or empty.
    case missingHeaders
    /// The timestamp is not a whole number of seconds.
    case malformedTimestamp
    /// The timestamp is more than five minutes from now.
    case stale
    /// The signature does not match the body, timestamp and secret.
    case mismatch

    package var description: String {
        switch self {
        case .missingHeaders: "X-Slack-Request-Timestamp or X-Slack-Signature is missing"
        case .malformedTimestamp: "X-Slack-Request-Timestamp is not a number of seconds"
        case .stale: "X-Slack-Request-Timestamp is more than 5 minutes from now"
        case .mismatch: "X-Slack-Signature does not match"
        }
    }
}
