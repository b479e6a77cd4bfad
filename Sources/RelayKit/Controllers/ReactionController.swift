import Foundation
import Hummingbird
import MsgLib

/// `PUT` and `DELETE /api/messages/:id/reactions/:emoji`: the caller's reaction on a message, added or removed
/// (idempotent: the answer is the message's reactions either way).
struct ReactionController {
    let service: MessagingService

    func addRoutes(to group: RouterGroup<RelayRequestContext>) {
        group.put("messages/:id/reactions/:emoji", use: add)
        group.delete("messages/:id/reactions/:emoji", use: remove)
    }

    @Sendable func add(_ request: Request, context: RelayRequestContext) async throws -> Response {
        try await react(context: context, add: true)
    }

    @Sendable func remove(_ request: Request, context: RelayRequestContext) async throws -> Response {
        try await react(context: context, add: false)
    }

    private func react(context: RelayRequestContext, add: Bool) async throws -> Response {
        let viewer = try context.requireUser()
        let id = try context.uuidParameter("id", label: "message id")
        let outcome = try await service.react(viewer: viewer, messageId: id, emoji: Self.emoji(context.parameters.get("emoji") ?? ""), add: add)
        return .json(ReactionsResponse(messageId: id, reactions: outcome.reactions, viewer: viewer))
    }

    /// The path segment, percent-decoded once (`%F0%9F%91%8D` is 👍); text that does not decode stays as it is, and
    /// is refused by the service as not an emoji.
    static func emoji(_ segment: String) -> String {
        segment.removingPercentEncoding ?? segment
    }
}
