import Foundation
import HTTPTypes
import Hummingbird
import MsgLib
import NIOCore

/// The local attachment store's signed URLs (``LocalAttachmentStore/routePrefix``): `PUT` receives an upload, streamed
/// to a file (refused as soon as it grows past the declared size) and on disk before it is acknowledged; `GET` sends a
/// file. No bearer token: the signature is the permission. Each counts among the requests under way of the user the URL
/// was made for (``UserRequestGate``), an upload until it is answered, a download until its file is sent.
struct LocalStoreController {
    let store: LocalAttachmentStore
    let gate: UserRequestGate

    func addRoutes(to router: Router<RelayRequestContext>) {
        router.put("attachments/local/:key", use: upload)
        router.get("attachments/local/:key", use: download)
    }

    @Sendable func upload(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let key = try storeKey(context)
        let grant = try verified { now throws(LocalURLSigner.Refusal) in
            try store.signer.verifyUpload(storeKey: key, query: request.queryDictionary, now: now)
        }
        let place = try grant.user.map(gate.place(for:))
        defer { place?.leave() }
        guard let type = request.headers[.contentType].flatMap(AttachmentPolicy.mediaType), type == grant.contentType else {
            throw APIError(.unsupportedMediaType, "Content-Type must be \(grant.contentType), as declared")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length != grant.size {
            throw APIError(length > grant.size ? .contentTooLarge : .badRequest, "The body must be the \(grant.size) bytes declared")
        }
        // An upload URL is used once: a second request with it is refused before its body is read (or written to disk).
        guard try await !store.hasFile(key: key) else { throw Self.uploadedAlready }
        guard store.beginReceiving(key: key) else { throw APIError(.conflict, "This attachment is being uploaded by another request") }
        defer { store.endReceiving(key: key) }
        let counter = ByteCount()
        let temporary: String
        do {
            temporary = try await store.receive(LimitedBody(base: request.body, limit: grant.size, counter: counter))
        } catch {
            switch counter.outcome {
            case .tooLarge: throw APIError(.contentTooLarge, "The body is larger than the \(grant.size) bytes declared")
            case .broken: throw APIError(.badRequest, "Malformed request body")
            case .reading: throw error
            }
        }
        guard counter.value == grant.size else {
            await store.discard(temporary: temporary)
            throw APIError(.badRequest, "The body is \(counter.value) bytes, not the \(grant.size) declared")
        }
        // An upload that outlived its URL is refused too: once a URL has expired no file can appear for it, so an upload
        // collected as never attached after that cannot come back.
        do {
            _ = try verified { now throws(LocalURLSigner.Refusal) in
                try store.signer.verifyUpload(storeKey: key, query: request.queryDictionary, now: now)
            }
        } catch {
            await store.discard(temporary: temporary)
            throw error
        }
        guard try await store.commit(temporary: temporary, key: key) else { throw Self.uploadedAlready }
        return Response(status: .noContent)
    }

    static let uploadedAlready = APIError(.conflict, "This attachment was uploaded already")

    @Sendable func download(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let key = try storeKey(context)
        let grant = try verified { now throws(LocalURLSigner.Refusal) in
            try store.signer.verifyDownload(storeKey: key, query: request.queryDictionary, now: now)
        }
        // A URL made for nobody counted (an admin's) takes no place.
        let place = try grant.user.map(gate.place(for:))
        var response = try await LocalFileResponse.serve(
            store, key: key, contentType: grant.contentType, filename: grant.filename, inline: grant.inline, context: context)
        if let place { response.body = place.holding(response.body) }
        return response
    }

    /// What `check` grants now; 403 naming why it refuses.
    private func verified<Grant>(_ check: (Int64) throws(LocalURLSigner.Refusal) -> Grant) throws -> Grant {
        do {
            return try check(Int64(Date().timeIntervalSince1970))
        } catch {
            throw APIError(.forbidden, error.message)
        }
    }

    private func storeKey(_ context: RelayRequestContext) throws -> String {
        guard let key = context.parameters.get("key"), AttachmentKey.isValid(key) else { throw APIError(.notFound, "Not found") }
        return key
    }
}

/// A file of the local store as an HTTP answer, streamed from disk.
enum LocalFileResponse {
    static func serve(
        _ store: LocalAttachmentStore, key: String, contentType: String, filename: AttachmentFilename, inline: Bool, context: RelayRequestContext
    ) async throws -> Response {
        let path = try store.path(for: key)
        guard let size = try await store.size(key: key) else { throw APIError(.notFound, "Attachment not found") }
        let body = try await FileIO().loadFile(path: path, context: context)
        return Response(
            status: .ok,
            headers: [
                .contentType: contentType, .contentLength: String(size), .contentDisposition: filename.contentDisposition(inline: inline),
                .xContentTypeOptions: "nosniff", .cacheControl: "private, no-store", .contentSecurityPolicy: "default-src 'none'; sandbox",
            ],
            body: body)
    }
}

/// Bytes seen so far by a ``LimitedBody``, and how its reading ended when it failed.
final class ByteCount: @unchecked Sendable {
    enum Outcome { case reading, tooLarge, broken }
    private let lock = NSLock()
    private var count = 0
    private var ended = Outcome.reading
    var value: Int { lock.withLock { count } }
    var outcome: Outcome { lock.withLock { ended } }
    func set(_ value: Int) { lock.withLock { count = value } }
    func end(_ outcome: Outcome) { lock.withLock { ended = outcome } }
}

/// A request body that fails with ``TooLarge`` as soon as it has brought more than `limit` bytes.
struct LimitedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    struct TooLarge: Error {}

    let base: Base
    let limit: Int
    let counter: ByteCount

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int
        let counter: ByteCount
        var total = 0

        mutating func next() async throws -> ByteBuffer? {
            let next: ByteBuffer?
            do {
                next = try await base.next()
            } catch {
                counter.end(.broken)
                throw error
            }
            guard let buffer = next else { return nil }
            total += buffer.readableBytes
            counter.set(total)
            if total > limit {
                counter.end(.tooLarge)
                throw TooLarge()
            }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), limit: limit, counter: counter) }
}

extension Request {
    /// The query parameters, the last of each name.
    var queryDictionary: [String: String] {
        var result: [String: String] = [:]
        for (name, value) in uri.queryParameters { result[String(name)] = String(value) }
        return result
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
}
