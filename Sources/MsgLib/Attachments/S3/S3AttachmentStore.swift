import Foundation

/// Attachments in an S3-compatible bucket. Browsers upload and download with presigned URLs (SigV4 in the query);
/// the relay signs its own requests (HEAD, ranged GET, DELETE) in the `Authorization` header and sends them with
/// ``HTTPClient`` (no redirects followed, bodies capped, a timeout on each request).
///
/// What the presigned upload enforces: the `Content-Type` and `If-None-Match: *` headers are signed, so the client must
/// send them as given (another type is refused by the signature check), and the object cannot replace an existing one
/// where the service supports conditional writes (AWS S3, MinIO); `Content-Length` is signed too, so AWS S3 refuses a
/// body of another size. Services that do not check a signed `Content-Length` accept any size: the relay's
/// ``inspect(key:prefixLength:)`` sees the real size and type before a file is attached, whatever the service.
package struct S3AttachmentStore: AttachmentStore {
    package let configuration: S3StoreConfiguration
    /// The longest prefix ``inspect(key:prefixLength:)`` reads (longer requests are cut to it).
    package static let maxPrefixLength = 1024 * 1024
    /// Each request of the relay to the service ends within this.
    package let timeout: Duration
    private let signer: SigV4Signer
    private let client: HTTPClient
    private let now: @Sendable () -> Date

    /// - Parameter now: the clock that dates signatures (tests move it to sign URLs that have already expired).
    package init(configuration: S3StoreConfiguration, timeout: Duration = .seconds(15), now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.timeout = timeout
        self.now = now
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        client = HTTPClient(
            configuration: HTTPClient.Configuration(
                allowInsecure: configuration.endpoint.scheme == "http", maxResponseBodyBytes: Self.maxPrefixLength, maxConnectionsPerHost: 8))
    }

    // MARK: - Presigned URLs (the bucket serves them: nothing here counts them for their `user`)

    package func uploadTarget(key: String, contentType: String, size: Int, expires: Date, user: UUID? = nil) throws -> AttachmentTransfer {
        try Self.checkHeaderValue(contentType, "content type")
        guard size >= 0 else { throw S3StoreError(.invalidRequest, "a negative size cannot be signed") }
        let headers = [("Content-Type", contentType), ("If-None-Match", "*")]
        let url = try presignedURL(method: "PUT", key: key, query: [], headers: headers + [("Content-Length", String(size))], expires: expires)
        return AttachmentTransfer(method: "PUT", url: url, headers: Dictionary(uniqueKeysWithValues: headers))
    }

    /// The response's `Content-Disposition` and `Content-Type` come from the URL's `response-content-disposition` and
    /// `response-content-type` (signed, so they cannot be changed), and so do `Cache-Control: private, no-store` and
    /// `Content-Encoding: identity`: headers an uploader may have stored with the object (a `gzip` encoding that would
    /// have browsers unpack a file far beyond the size limit, a public cache lifetime) never reach the downloader. S3
    /// has no such parameter for `X-Content-Type-Options: nosniff`: the relay sends it on its redirect to this URL, and
    /// the overriding `Content-Type` and `Content-Disposition` leave a browser nothing to sniff.
    package func downloadTarget(key: String, filename: AttachmentFilename, contentType: String, inline: Bool, expires: Date, user: UUID? = nil) throws
        -> AttachmentTransfer
    {
        try Self.checkHeaderValue(contentType, "content type")
        let query = [
            (name: "response-cache-control", value: "private, no-store"),
            (name: "response-content-disposition", value: filename.contentDisposition(inline: inline)),
            (name: "response-content-encoding", value: "identity"),
            (name: "response-content-type", value: contentType),
        ]
        return AttachmentTransfer(method: "GET", url: try presignedURL(method: "GET", key: key, query: query, headers: [], expires: expires))
    }

    private func presignedURL(
        method: String, key: String, query: [(name: String, value: String)], headers: [(String, String)], expires: Date
    ) throws(S3StoreError) -> String {
        let location = try location(of: key)
        let date = now()
        // An expiry rounded down to the second by the caller may lie a moment before now: such a URL lasts 1 s.
        let seconds = Int(expires.timeIntervalSince(date).rounded(.up))
        guard (-1...604_800).contains(seconds) else {
            throw S3StoreError(.invalidRequest, "a presigned URL must expire within 7 days from now, not in \(seconds) s")
        }
        let lifetime = max(1, seconds)
        let request = SigV4Signer.Request(
            method: method, path: location.path, query: query, headers: [("host", location.host)] + headers.map { (name: $0.0, value: $0.1) })
        return location.origin + request.encodedPath + "?" + signer.presignedQuery(request, date: date, expires: lifetime)
    }

    // MARK: - The relay's requests

    package func inspect(key: String, prefixLength: Int) async throws -> StoredAttachment? {
        guard let object = try await head(key) else { return nil }
        let wanted = min(max(0, prefixLength), Self.maxPrefixLength, object.size)
        guard wanted > 0 else { return StoredAttachment(size: object.size, contentType: object.contentType, prefix: []) }
        let get = try await send(.get, key: key, headers: Self.range(0, wanted - 1, of: object))
        switch get.status {
        case 200, 206:
            guard get.body.count >= wanted else {
                throw S3StoreError(.badAnswer, "S3 sent \(get.body.count) bytes of \(key) where \(wanted) were asked for")
            }
            return StoredAttachment(size: object.size, contentType: object.contentType, prefix: Array(get.body.prefix(wanted)))
        case 404 where S3ErrorBody(get.body)?.code != "NoSuchBucket": return nil
        case 412: throw S3StoreError(.badAnswer, "\(key) changed while it was inspected")
        default: throw Self.failure(get, operation: "GET", key: key)
        }
    }

    /// Reads the whole of `key` in ranged GETs of at most ``maxPrefixLength`` bytes, handing each piece to `write` in
    /// order (for `msgctl attachments get`: a file is never held whole). Returns false when there is no such object.
    /// - Throws: ``S3StoreError`` (also when the object changes while it is read), or what `write` throws.
    package func read(key: String, into write: ([UInt8]) throws -> Void) async throws -> Bool {
        guard let object = try await head(key) else { return false }
        var offset = 0
        while offset < object.size {
            let end = min(object.size, offset + Self.maxPrefixLength) - 1
            let piece = try await send(.get, key: key, headers: Self.range(offset, end, of: object))
            guard piece.status == 206 || (piece.status == 200 && offset == 0), piece.body.count >= end - offset + 1 else {
                throw piece.status == 412
                    ? S3StoreError(.badAnswer, "\(key) changed while it was read") : Self.failure(piece, operation: "GET", key: key)
            }
            try write(Array(piece.body.prefix(end - offset + 1)))
            offset = end + 1
        }
        return true
    }

    /// An object as HEAD describes it.
    private struct Head {
        var size: Int
        var contentType: String?
        var etag: String?
    }

    /// HEAD of `key`: nil when there is no such object.
    private func head(_ key: String) async throws(S3StoreError) -> Head? {
        let head = try await send(.head, key: key)
        switch head.status {
        case 200: break
        case 404:
            try await confirmMissing(key)
            return nil
        default: throw try await explainHeadFailure(head, key: key)
        }
        guard let lengthText = head.header("Content-Length"), lengthText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let size = Int(lengthText)
        else { throw S3StoreError(.badAnswer, "S3 answered HEAD of \(key) without a valid Content-Length") }
        return Head(size: size, contentType: head.header("Content-Type"), etag: head.header("ETag").flatMap { Self.isHeaderValue($0) ? $0 : nil })
    }

    /// `Range` for bytes `first...last`, and `If-Match` so that they are bytes of the object HEAD described, not of one
    /// written meanwhile.
    private static func range(_ first: Int, _ last: Int, of object: Head) -> [(name: String, value: String)] {
        [(name: "range", value: "bytes=\(first)-\(last)")] + (object.etag.map { [(name: "if-match", value: $0)] } ?? [])
    }

    package func delete(key: String) async throws {
        let response = try await send(.delete, key: key)
        switch response.status {
        case 200, 202, 204: return
        case 404 where S3ErrorBody(response.body)?.code != "NoSuchBucket": return
        default: throw Self.failure(response, operation: "DELETE", key: key)
        }
    }

    /// Signs (header authentication, empty body) and sends one request about `key`.
    private func send(_ method: HTTPClient.Method, key: String, headers: [(name: String, value: String)] = []) async throws(S3StoreError)
        -> HTTPClient.Response
    {
        let location = try location(of: key)
        var request = SigV4Signer.Request(method: method.rawValue, path: location.path, headers: [("host", location.host)] + headers)
        signer.sign(&request, payloadHash: SigV4Signer.emptyPayloadHash, date: now())
        let http = HTTPClient.Request(url: location.origin + request.encodedPath, method: method, headers: request.headers, timeout: timeout)
        do {
            return try await client.send(http)
        } catch {
            throw S3StoreError(.unavailable, "S3 \(method.rawValue) of \(key) failed: \(error.description)")
        }
    }

    /// Returns when a 404 to HEAD meant a missing object, and throws when it meant a missing bucket: a one-byte GET
    /// says which (its error body names the code).
    private func confirmMissing(_ key: String) async throws(S3StoreError) {
        let get = try await send(.get, key: key, headers: [(name: "range", value: "bytes=0-0")])
        guard get.status == 404, S3ErrorBody(get.body)?.code == "NoSuchBucket" else { return }
        throw Self.failure(get, operation: "HEAD", key: key)
    }

    /// A HEAD answer has no body to say why it failed: the same key is asked for with a one-byte GET, whose error body
    /// names the cause (SignatureDoesNotMatch, InvalidAccessKeyId, ExpiredToken...).
    private func explainHeadFailure(_ head: HTTPClient.Response, key: String) async throws(S3StoreError) -> S3StoreError {
        let get = try await send(.get, key: key, headers: [(name: "range", value: "bytes=0-0")])
        return Self.failure(get.status == head.status ? get : head, operation: "HEAD", key: key)
    }

    /// An error naming the operation, the status and S3's code and message, and what setting to check.
    static func failure(_ response: HTTPClient.Response, operation: String, key: String) -> S3StoreError {
        let body = S3ErrorBody(response.body)
        var what = "\(response.status)"
        if let body { what += " \(body.code)" + (body.message.map { ": \($0)" } ?? "") }
        let text = "S3 refused \(operation) of \(key) (\(what))"
        switch (response.status, body?.code) {
        case (_, "NoSuchBucket"):
            return S3StoreError(.noSuchBucket, text + ": check the bucket of ATTACHMENT_STORE, AWS_ENDPOINT_URL and AWS_S3_FORCE_PATH_STYLE")
        case (301, _), (307, _), (_, "AuthorizationHeaderMalformed"), (_, "PermanentRedirect"):
            return S3StoreError(.badAnswer, text + ": check AWS_REGION and AWS_ENDPOINT_URL")
        case (401, _), (403, _):
            return S3StoreError(
                .denied, text + ": check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and the permissions of the bucket")
        default:
            return S3StoreError(.badAnswer, text)
        }
    }

    /// Where `key` (relative to the configured prefix) is. Keys are made by the relay; control characters, empty,
    /// `.` and `..` segments (which some services and proxies normalise away) and keys over S3's 1024 bytes are refused.
    private func location(of key: String) throws(S3StoreError) -> (host: String, origin: String, path: String) {
        let full = configuration.prefix + key
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        guard full.utf8.count <= 1024, segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
            !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\\" })
        else { throw S3StoreError(.invalidRequest, "the attachment key \"\(key.debugDescription.dropFirst().dropLast())\" cannot be used in S3") }
        return configuration.location(ofObject: full)
    }

    private static func checkHeaderValue(_ value: String, _ what: String) throws(S3StoreError) {
        guard isHeaderValue(value) else { throw S3StoreError(.invalidRequest, "the \(what) is not a valid header value") }
    }

    /// Printable ASCII and spaces, at most 1024 bytes.
    private static func isHeaderValue(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= 1024 && value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }
}
