import Foundation

extension MessagingService {
    /// Marks read, as `viewer`, each of `messageIds` they received (the WebSocket `mark_read` frame).
    /// - Returns: the messages that changed. - Throws: the first refusal (not found, forbidden), after marking the rest.
    public func markRead(viewer: User, messageIds: [UUID]) async throws -> [Message] {
        var changed: [Message] = []
        var firstError: (any Error)?
        for id in messageIds {
            do {
                let before = try await pool.withConnection { db in try MessageRepository.find(db, id: id) }
                let after = try await markRead(viewer: viewer, messageId: id)
                if before?.readAt == nil { changed.append(after) }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
        return changed
    }

    /// Announces that `viewer` is (or stopped) typing in a conversation they may see.
    public func typing(viewer: User, conversationId: UUID, isTyping: Bool) async throws {
        try await pool.withConnection { db in
            let conversation = try Self.accessibleConversation(db, id: conversationId, viewer: viewer)
            try DeliveryRepository.notify(
                db,
                [
                    .typing(
                        conversationId: conversationId, conversationUserId: conversation.userId, userId: viewer.id, isTyping: isTyping,
                        fromAdmin: viewer.isAdmin)
                ])
        }
    }

    /// Messages to replay to a socket of `viewer`: everything after `lastMessageId` when the client resumes,
    /// otherwise the unread messages addressed to them. `truncated` when there were more than `limit`.
    public func replay(viewer: User, after lastMessageId: UUID?, limit: Int) async throws -> (messages: [DeliverableMessage], truncated: Bool) {
        let messages = try await pool.withConnection { db in
            if let lastMessageId {
                return try DeliveryRepository.messages(db, after: lastMessageId, viewer: viewer, limit: limit + 1)
            }
            return try DeliveryRepository.unread(db, viewer: viewer, limit: limit + 1)
        }
        return (Array(messages.prefix(limit)), messages.count > limit)
    }
}
