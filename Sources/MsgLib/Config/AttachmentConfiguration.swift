import Foundation

/// Where attachments are kept and what is accepted, with documented defaults (docs/attachments.md).
public struct AttachmentConfiguration: Sendable, Equatable {
    /// Where files live.
    public enum StoreLocation: Sendable, Equatable {
        /// A folder of this machine, served by the relay itself (`local:/path`).
        case local(path: String)
        /// An S3-compatible bucket (`s3://bucket[/prefix]`), as written.
        case s3(url: String)
    }

    /// nil: attachments are off (`ATTACHMENT_STORE` unset); creating one is refused with 503.
    public var store: StoreLocation?
    /// The bucket, endpoint and credentials when ``store`` is `.s3` (read with the `AWS_*` settings).
    package var s3: S3StoreConfiguration?
    /// The largest file accepted, in bytes (default 10 MiB).
    public var maxBytes: Int = 10 * 1024 * 1024
    /// Media types accepted, lowercased.
    public var types: [String] = AttachmentConfiguration.defaultTypes
    /// How long an upload URL is valid (default 15 minutes).
    public var uploadURLLifetime: Duration = .seconds(900)
    /// How long a download URL is valid (default 5 minutes).
    public var downloadURLLifetime: Duration = .seconds(300)
    /// Uploads not attached to a message this long after they were created are removed (default 24 hours).
    public var pendingLifetime: Duration = .seconds(86_400)
    /// How often the relay looks for such uploads (default 10 minutes).
    public var collectInterval: Duration = .seconds(600)
    /// Uploads one user may have created and not attached yet (default 20).
    public var maxPendingPerUser: Int = 20
    /// Uploads one user may create per hour (default 60; 0 turns the limit off).
    public var createRateLimitPerHour: Int = 60
    /// Attachments one message may carry.
    public static let maxPerMessage = 10
    /// The key that signs the local store's URLs.
    public var signingKey: [UInt8] = []
    /// Where clients reach the relay (e.g. `https://chat.example.com`), put before the local store's URL paths; nil
    /// leaves them relative to the relay's own address.
    public var publicBaseURL: String?

    public static let defaultTypes = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"]

    public init(store: StoreLocation? = nil) {
        self.store = store
    }

    /// The key that signs local URLs when `ATTACHMENT_SIGNING_KEY` is unset: HMAC-SHA256 of a fixed label under the
    /// JWT secret, so it changes when the secret does and no token can be made from it.
    public static func derivedSigningKey(jwtSecret: String) -> [UInt8] {
        LibCrypto.hmacSHA256(key: Array(jwtSecret.utf8), data: Array("msgrelay attachment URLs v1".utf8))
    }
}
