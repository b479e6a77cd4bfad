import Foundation

extension MessagingService {
    /// Conversations `viewer` may see, newest activity first: all of them (filtered by `archived`) for an admin,
    /// their own for a user (for whom `archived` does not apply).
    /// An admin may narrow the list to one user's conversation with `userId` (archived or not).
    public func listConversations(
        viewer: User, page: Int, limit: Int, archived: Bool = false, unreadOnly: Bool = false, userId: UUID? = nil
    ) async throws -> (listings: [ConversationListing], total: Int) {
        let filter = ConversationRepository.Filter(
            archived: viewer.isAdmin && userId == nil ? archived : nil, userId: viewer.isAdmin ? userId : viewer.id,
            unreadByAdmin: viewer.isAdmin && unreadOnly, page: page, limit: limit)
        return try await pool.withTransaction { db in try ConversationRepository.list(db, filter: filter) }
    }

    /// One conversation with its user. - Throws: `.notFound`, or `.forbidden` for someone else's.
    public func conversation(viewer: User, id: UUID) async throws -> (conversation: Conversation, user: User) {
        try await pool.withConnection { db in
            let conversation = try Self.accessibleConversation(db, id: id, viewer: viewer)
            guard let user = try UserRepository.find(db, id: conversation.userId) else { throw ServiceError.conversationNotFound }
            return (conversation, user)
        }
    }

    /// Starts the viewer's conversation with the admin, with an optional first message.
    /// - Throws: `.conflict` when it exists, `.forbidden` for an admin, `.invalid` for bad content, `.rateLimited`.
    public func createConversation(
        viewer: User, initialMessage: String?, source: MessageSource? = nil
    ) async throws -> (conversation: Conversation, message: Message?) {
        guard !viewer.isAdmin else { throw ServiceError(.forbidden, "Admins reply in users' conversations and cannot start one") }
        if let initialMessage { try Self.validateContent(initialMessage) }
        let rules = self.rules
        let notifySlack = notifications.notifiesSlackWebhook
        let afterCommit = self.afterCommit
        let deliver: @Sendable ((Conversation, DeliverableMessage?), PostgresConnection) -> Void = { result, db in
            if let message = result.1 { afterCommit([message], db) }
        }
        let result = try await Self.mapContentError {
            try await pool.withCommittedTransaction(then: deliver) { db -> (Conversation, DeliverableMessage?) in
                let conversation: Conversation
                do {
                    conversation = try ConversationRepository.insert(db, userId: viewer.id)
                } catch let error as DatabaseError where error.kind == .conflict {
                    throw ServiceError(.conflict, "Conversation already exists")
                }
                guard let initialMessage else { return (conversation, nil) }
                try RateLimiter.take(db, sender: viewer.id, rules: rules)
                let message = try Self.insertMessage(
                    db, MessageSend(sender: viewer, conversationId: conversation.id, content: initialMessage, source: source),
                    notifySlack: notifySlack)
                return (try ConversationRepository.find(db, id: conversation.id) ?? conversation, message)
            }
        }
        return (result.0, result.1?.message)
    }

    /// Archives or unarchives a conversation (admins only); its Slack thread's parent is updated to match.
    public func setArchived(viewer: User, id: UUID, archived: Bool) async throws -> Conversation {
        try Self.requireAdmin(viewer)
        return try await pool.withTransaction { db in
            guard let conversation = try ConversationRepository.setArchived(db, id: id, archived: archived) else {
                throw ServiceError.conversationNotFound
            }
            try SlackThreadRepository.enqueueParentUpdate(db, conversationId: id)
            return conversation
        }
    }

    /// Soft-deletes every message of a conversation (admins only); returns how many.
    public func deleteConversation(viewer: User, id: UUID) async throws -> Int {
        try Self.requireAdmin(viewer)
        return try await pool.withTransaction { db in
            guard try ConversationRepository.find(db, id: id) != nil else { throw ServiceError.conversationNotFound }
            return try MessageRepository.softDeleteAll(db, conversationId: id, by: viewer.id)
        }
    }
}
