import Hummingbird
import MsgLib

/// `/api/conversations`: list, show, create, archive, delete.
struct ConversationController {
    let service: MessagingService
    /// Counts the first messages sent with new conversations.
    let metrics: MessageMetrics

    func addRoutes(to group: RouterGroup<RelayRequestContext>) {
        group.get("conversations", use: list)
        group.get("conversations/:id", use: show)
        group.post("conversations", use: create)
        group.patch("conversations/:id/archive", use: archive)
        group.delete("conversations/:id", use: delete)
    }

    @Sendable func list(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let page = try request.queryInt("page", default: 1)
        let limit = try request.queryInt("limit", default: 20, maximum: 100)
        let archived = try request.queryBool("archived", default: false)
        let (listings, total) = try await service.listConversations(viewer: viewer, page: page, limit: limit, archived: archived)
        return .json(ConversationListResponse(listings: listings, total: total, page: page, limit: limit, viewer: viewer))
    }

    @Sendable func show(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let (conversation, user) = try await service.conversation(viewer: viewer, id: try context.uuidParameter("id"))
        return .json(ConversationRepresentation(conversation, user: user, viewer: viewer))
    }

    struct CreateBody: Decodable {
        var initial_message: String?
    }

    @Sendable func create(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let body = try await request.decodeJSON(CreateBody.self, context: context, emptyAsObject: true)
        let (conversation, message) = try await service.createConversation(viewer: viewer, initialMessage: body.initial_message, source: .rest)
        if message != nil { metrics.created(.rest) }
        return .json(ConversationCreatedResponse(conversation), status: .created)
    }

    struct ArchiveBody: Decodable {
        var archived: Bool
    }

    @Sendable func archive(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        // Admins only, whatever the id: a user is told so, not that the id is malformed.
        guard viewer.isAdmin else { throw ServiceError.adminRequired }
        let id = try context.uuidParameter("id")
        let body = try await request.decodeJSON(ArchiveBody.self, context: context)
        return .json(ArchiveResponse(try await service.setArchived(viewer: viewer, id: id, archived: body.archived)))
    }

    @Sendable func delete(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        guard viewer.isAdmin else { throw ServiceError.adminRequired }
        _ = try await service.deleteConversation(viewer: viewer, id: try context.uuidParameter("id"))
        return Response(status: .noContent)
    }
}
