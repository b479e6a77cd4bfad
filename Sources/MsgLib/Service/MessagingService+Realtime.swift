import Foundation

extension MessagingService {
    /// Marks read, as `viewer`, each of `messageIds` they received (the WebSocket `mark_read` frame), in one
    /// transaction with one update per conversation. An admin's reading updates the conversations' Slack thread parents.
    /// - Returns: the messages that changed. - Throws: a refusal (not found, forbidden) after marking the rest.
    public func markRead(viewer: User, messageIds: [UUID]) async throws -> [Message] {
        let (changed, refusal): ([Message], ServiceError?) = try await pool.withTransaction { db in
            let found = try DeliveryRepository.messages(db, ids: messageIds)
            var refusal: ServiceError? = found.count < Set(messageIds).count ? .messageNotFound : nil
            var changed: [Message] = []
            for (conversationId, items) in Dictionary(grouping: found, by: \.message.conversationId) {
                let conversation: Conversation
                do {
                    conversation = try Self.accessibleConversation(db, id: conversationId, viewer: viewer)
                } catch let error as ServiceError {
                    refusal = refusal ?? error
                    continue
                }
                let readable = items.filter { $0.message.senderId != viewer.id && $0.sender.isAdmin != viewer.isAdmin }
                if readable.count < items.count { refusal = refusal ?? ServiceError(.forbidden, "Cannot mark own message as read") }
                guard !readable.isEmpty else { continue }
                let read = try MessageRepository.markRead(
                    db, conversationId: conversationId, readerIsAdmin: viewer.isAdmin, ids: readable.map(\.message.id))
                try DeliveryRepository.notify(db, read.map { Self.readEvent($0, conversation: conversation, reader: viewer) })
                // As through REST: an admin's reading updates the conversation's Slack thread parent.
                if viewer.isAdmin, !read.isEmpty { try SlackThreadRepository.enqueueParentUpdate(db, conversationId: conversationId) }
                changed += read
            }
            return (changed, refusal)
        }
        if let refusal { throw refusal }
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

    /// Messages to replay to a socket of `viewer` that joined the live stream at snapshot `joinedAt` (later messages
    /// reach it live): what a client at `start` lacks up to `joinedAt`, or, without a start, the unread messages
    /// addressed to them.
    /// `truncated` when there were more than `limit`.
    public func replay(
        viewer: User, from start: ResumePoint?, joinedAt: CommitSnapshot?, limit: Int
    ) async throws -> (messages: [DeliverableMessage], truncated: Bool) {
        let messages = try await pool.withConnection { db in
            let found: [DeliverableMessage]
            switch start {
            case .cursor(let cursor):
                let upTo = try joinedAt ?? DeliveryRepository.currentSnapshot(db)
                found = try DeliveryRepository.messages(db, after: cursor, upTo: upTo, viewer: viewer, limit: limit + 1)
            case .messageId(let lastMessageId):
                found = try DeliveryRepository.messages(db, after: lastMessageId, viewer: viewer, limit: limit + 1)
            case nil:
                found = try DeliveryRepository.unread(db, viewer: viewer, limit: limit + 1, upTo: joinedAt)
            }
            // Replayed messages carry their reactions as they stand.
            let reactions = try ReactionRepository.reactions(db, messageIds: found.map(\.message.id))
            return reactions.isEmpty
                ? found
                : found.map { item in
                    var item = item
                    item.message.reactions = reactions[item.message.id] ?? []
                    return item
                }
        }
        return (Array(messages.prefix(limit)), messages.count > limit)
    }
}
