import Hummingbird
import MsgLib

/// `GET /api/messages/:id/history`: a message's edits and deletions, for admins.
struct MessageHistoryController {
    let service: MessagingService

    func addRoutes(to group: RouterGroup<RelayRequestContext>) {
        group.get("messages/:id/history", use: history)
    }

    @Sendable func history(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        // Admins only, whatever the id (as the service says).
        guard viewer.isAdmin else { throw ServiceError.adminRequired }
        let id = try context.uuidParameter("id")
        return .json(MessageHistoryResponse(try await service.messageHistory(viewer: viewer, messageId: id)))
    }
}
