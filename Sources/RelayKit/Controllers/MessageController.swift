import HTTPTypes
import Hummingbird
import MsgLib

/// `/api/conversations/:id/messages` and `/api/messages...`: list, send, read, bulk read, edit, delete, search.
struct MessageController {
    /// `Idempotency-Key` on `POST /api/messages`: a retry with the same key makes no second message.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// Set on the answer to such a retry.
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!

    let service: MessagingService
    /// Counts the messages sent here.
    let metrics: MessageMetrics

    func addRoutes(to group: RouterGroup<RelayRequestContext>) {
        group.get("conversations/:id/messages", use: list)
        group.post("messages", use: send)
        group.get("messages/search", use: search)
        group.patch("messages/bulk-read", use: bulkRead)
        group.patch("messages/:id/read", use: markRead)
        group.patch("messages/:id", use: edit)
        group.delete("messages/:id", use: delete)
    }

    @Sendable func list(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let id = try context.uuidParameter("id", label: "conversation id")
        let page = MessagingService.PageRequest(
            page: try request.queryInt("page", default: 1), limit: try request.queryInt("limit", default: 50, maximum: 200),
            before: try request.queryTimestamp("before"), after: try request.queryTimestamp("after"))
        let (messages, total) = try await service.listMessages(viewer: viewer, conversationId: id, page: page)
        return .json(MessageListResponse(messages: messages, total: total, page: page.page, limit: page.limit, viewer: viewer))
    }

    struct SendBody: Decodable {
        var conversation_id: UUIDField?
        var content: String
        var attachment_ids: [UUIDField]?
    }

    @Sendable func send(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let key = try request.headers[Self.idempotencyKey].map(ClientKey.header)
        let body = try await request.decodeJSON(SendBody.self, context: context)
        let sent = try await service.sendMessage(
            viewer: viewer, conversationId: body.conversation_id?.value, content: body.content,
            attachmentIds: body.attachment_ids?.map(\.value) ?? [], clientKey: key, source: .rest)
        if !sent.replayed { metrics.created(.rest) }
        // A retry with the same key gets the first answer again, marked as such.
        return .json(MessageCreatedResponse(sent.message), status: .created, headers: sent.replayed ? [Self.idempotentReplayed: "true"] : [:])
    }

    @Sendable func markRead(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        return .json(ReadResponse(try await service.markRead(viewer: viewer, messageId: try context.uuidParameter("id"))))
    }

    struct BulkReadBody: Decodable {
        var conversation_id: UUIDField
        var message_ids: [UUIDField]?
    }

    @Sendable func bulkRead(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let body = try await request.decodeJSON(BulkReadBody.self, context: context)
        let changed = try await service.bulkRead(
            viewer: viewer, conversationId: body.conversation_id.value, messageIds: body.message_ids?.map(\.value))
        return .json(BulkReadResponse(updatedCount: changed.count))
    }

    struct EditBody: Decodable {
        var content: String
    }

    @Sendable func edit(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let id = try context.uuidParameter("id")
        let body = try await request.decodeJSON(EditBody.self, context: context)
        return .json(EditResponse(try await service.editMessage(viewer: viewer, messageId: id, content: body.content)))
    }

    @Sendable func delete(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        try await service.deleteMessage(viewer: viewer, messageId: try context.uuidParameter("id"))
        return Response(status: .noContent)
    }

    @Sendable func search(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let options = MessagingService.SearchOptions(
            conversationId: try request.queryUUID("conversation_id"), before: try request.queryTimestamp("before"),
            after: try request.queryTimestamp("after"), limit: try request.queryInt("limit", default: 20, maximum: 100))
        let (hits, total) = try await service.search(viewer: viewer, query: request.queryText("q") ?? "", options: options)
        return .json(SearchResponse(hits: hits, total: total))
    }
}
