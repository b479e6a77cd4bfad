import Foundation

/// Where attachment files live: a folder served by the relay (``LocalAttachmentStore``) or an S3-compatible bucket
/// (``S3AttachmentStore``). Browsers upload and download straight to and from the store with signed, expiring URLs;
/// the relay only signs them, checks what arrived, and removes files.
package protocol AttachmentStore: Sendable {
    /// How a client uploads `key`: the method, URL and headers of one request whose body is the file, valid until
    /// `expires`. The store refuses an upload of another content type (and, where it can, another size). A store that
    /// serves the URL itself counts it among the requests under way of `user` (nil: an admin, not counted).
    func uploadTarget(key: String, contentType: String, size: Int, expires: Date, user: UUID?) throws -> AttachmentTransfer

    /// How a client downloads `key`, valid until `expires`; the response names the file `filename`, with
    /// `Content-Type` `contentType`, `inline` or as an attachment, and `X-Content-Type-Options: nosniff`. Counted for
    /// `user` as an upload is.
    func downloadTarget(key: String, filename: AttachmentFilename, contentType: String, inline: Bool, expires: Date, user: UUID?) throws
        -> AttachmentTransfer

    /// What was uploaded under `key`: its size and type as stored and its first `prefixLength` bytes; nil when
    /// nothing was.
    func inspect(key: String, prefixLength: Int) async throws -> StoredAttachment?

    /// Removes `key`; removing what is not there is no error.
    func delete(key: String) async throws

    /// Removes what uploads nothing has written to for `age` left behind (a relay killed mid-upload); how many.
    func removeAbandonedUploads(olderThan age: Duration) async throws -> Int
}

extension AttachmentStore {
    /// A store whose uploads leave nothing behind when cut short.
    package func removeAbandonedUploads(olderThan age: Duration) async throws -> Int { 0 }
}

/// One request a client makes to a store.
package struct AttachmentTransfer: Sendable, Equatable, Codable {
    package var method: String
    package var url: String
    package var headers: [String: String]

    package init(method: String, url: String, headers: [String: String] = [:]) {
        self.method = method
        self.url = url
        self.headers = headers
    }
}

/// An uploaded file as the store sees it.
package struct StoredAttachment: Sendable, Equatable {
    package var size: Int
    /// The `Content-Type` the store keeps for it; nil when it keeps none.
    package var contentType: String?
    /// The file's first bytes (at most the length asked for).
    package var prefix: [UInt8]

    package init(size: Int, contentType: String?, prefix: [UInt8]) {
        self.size = size
        self.contentType = contentType
        self.prefix = prefix
    }
}
