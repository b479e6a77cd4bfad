import Foundation

extension MessagingService {
    /// Marks read, as `viewer`, each of `messageIds` they received (the WebSocket `mark_read` frame), in one
    /// transaction with one update per conversation. An admin's reading updates the conversations' Slack thread parents.
    /// - Returns: the messages that were read already, with when (as `PATCH /api/messages/:id/read` answers: the caller,
    ///   who may have missed that receipt, gets it; those marked now have theirs sent to every socket concerned), and the
    ///   refusal of the ids it could not mark (not found, forbidden), if any: the rest is marked all the same.
    public func markRead(viewer: User, messageIds: [UUID]) async throws -> MarkedRead {
        let (readBefore, refusal): ([(id: UUID, readAt: Timestamp)], ServiceError?) = try await pool.withTransaction { db in
            // Who sent each and where, not the messages themselves: a frame may name a thousand long ones.
            let found = try DeliveryRepository.readTargets(db, ids: messageIds)
            var refusal: ServiceError? = found.count < Set(messageIds).count ? .messageNotFound : nil
            var readBefore: [(id: UUID, readAt: Timestamp)] = []
            // Conversations in id order (as sends lock them): reading a conversation updates its row (the unread
            // counters), so two frames naming the same conversations in different orders would deadlock.
            let groups = Dictionary(grouping: found, by: \.conversationId).sorted { $0.key.lowercasedString < $1.key.lowercasedString }
            for (conversationId, items) in groups {
                let conversation: Conversation
                do {
                    conversation = try Self.accessibleConversation(db, id: conversationId, viewer: viewer)
                } catch let error as ServiceError {
                    refusal = refusal ?? error
                    continue
                }
                let readable = items.filter { $0.senderId != viewer.id && conversation.isAddressed(from: $0.senderId, to: viewer) }
                if readable.count < items.count {
                    // As PATCH /api/messages/:id/read says it.
                    let own = items.contains { $0.senderId == viewer.id }
                    refusal = refusal ?? (own ? .readOwnMessage : .readNotRecipient)
                }
                readBefore += readable.compactMap { item in item.readAt.map { (item.id, $0) } }
                let unread = readable.filter { $0.readAt == nil }
                guard !unread.isEmpty else { continue }
                let read = try MessageRepository.markRead(
                    db, conversationId: conversationId, readByItsUser: conversation.userId == viewer.id, ids: unread.map(\.id))
                try DeliveryRepository.notify(db, read.map { Self.readEvent($0, conversation: conversation, reader: viewer) })
                // As through REST: an admin's reading updates the conversation's Slack thread parent.
                if viewer.isAdmin, !read.isEmpty { try SlackThreadRepository.enqueueParentUpdate(db, conversationId: conversationId) }
            }
            return (readBefore, refusal)
        }
        return MarkedRead(readBefore: readBefore, refusal: refusal)
    }

    /// What a `mark_read` did.
    public struct MarkedRead: Sendable {
        public var readBefore: [(id: UUID, readAt: Timestamp)]
        public var refusal: ServiceError?
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
                        // From the admins' side, as the conversation tells it (a user made admin types to the admins).
                        fromAdmin: viewer.id != conversation.userId)
                ])
        }
    }

    /// Messages to replay to a socket of `viewer` that joined the live stream at snapshot `joinedAt` (later messages
    /// reach it live): what a client at `start` lacks up to `joinedAt`, or, without a start, the unread messages
    /// addressed to them.
    /// `truncated` when there were more than `limit`, or more than `byteBudget` bytes of messages (the first one always
    /// comes): a replay reads them a chunk at a time and stops there, so a client cannot make the relay read a thousand
    /// of the longest messages for a replay that sends a few.
    public func replay(
        viewer: User, from start: ResumePoint?, joinedAt: CommitSnapshot?, limit: Int, byteBudget: Int = .max
    ) async throws -> (messages: [DeliverableMessage], truncated: Bool) {
        let (messages, overBudget) = try await pool.withConnection { db in
            var found: [DeliverableMessage] = []
            var overBudget = false
            switch start {
            case .cursor(let cursor):
                let upTo = try joinedAt ?? DeliveryRepository.currentSnapshot(db)
                var from = cursor
                overBudget = try Self.readInChunks(into: &found, limit: limit + 1, byteBudget: byteBudget) { count in
                    let chunk = try DeliveryRepository.messages(db, after: from, upTo: upTo, viewer: viewer, limit: count)
                    // The next chunk follows the last message's cursor.
                    if let last = chunk.last { from = from.replaying(txid: last.txid, id: last.message.id, upTo: upTo) }
                    return chunk
                }
            case .messageId(let lastMessageId):
                var after = lastMessageId
                overBudget = try Self.readInChunks(into: &found, limit: limit + 1, byteBudget: byteBudget) { count in
                    let chunk = try DeliveryRepository.messages(db, after: after, viewer: viewer, limit: count)
                    if let last = chunk.last { after = last.message.id }
                    return chunk
                }
            case nil:
                var after: UUID?
                overBudget = try Self.readInChunks(into: &found, limit: limit + 1, byteBudget: byteBudget) { count in
                    let chunk = try DeliveryRepository.unread(db, viewer: viewer, limit: count, upTo: joinedAt, after: after)
                    if let last = chunk.last { after = last.message.id }
                    return chunk
                }
            }
            // Replayed messages carry their reactions as they stand.
            let reactions = try ReactionRepository.reactions(db, messageIds: found.map(\.message.id))
            let replayed =
                reactions.isEmpty
                ? found
                : found.map { item in
                    var item = item
                    item.message.reactions = reactions[item.message.id] ?? []
                    return item
                }
            return (replayed, overBudget)
        }
        return (Array(messages.prefix(limit)), messages.count > limit || overBudget)
    }

    /// Messages a replay reads at a time.
    static let replayChunk = 64

    /// Appends what `read` returns (asked for at most so many each time) until `limit` messages, more than
    /// `byteBudget` bytes of them (counted roughly: content and files), or a short chunk; past the budget, one more
    /// message is kept (with the first always there).
    /// - Returns: true when the budget stopped it (more may follow).
    static func readInChunks(
        into found: inout [DeliverableMessage], limit: Int, byteBudget: Int, _ read: (Int) throws -> [DeliverableMessage]
    ) throws -> Bool {
        var bytes = 0
        while found.count < limit {
            let asked = min(replayChunk, limit - found.count)
            let chunk = try read(asked)
            for item in chunk {
                found.append(item)
                bytes += item.message.content.utf8.count + item.message.attachments.count * 512
                if bytes > byteBudget, found.count > 1 { return true }
            }
            if chunk.count < asked { return false }
        }
        return false
    }
}
