import Foundation

extension MessagingService {
    /// Queues a `chat.update` of the conversation's Slack parent message, which then shows the conversation's unread
    /// count and archived state as they are when the job leaves the outbox. Nothing happens when the conversation has
    /// no Slack thread (app mode off, or nothing posted yet).
    /// - Returns: whether an update was queued (false also when one is already waiting).
    /// - Throws: `.notFound` for an unknown conversation.
    @discardableResult
    public func refreshSlackParent(conversationId: UUID) async throws -> Bool {
        try await pool.withTransaction { db in
            guard try ConversationRepository.find(db, id: conversationId) != nil else { throw ServiceError.conversationNotFound }
            return try SlackThreadRepository.enqueueParentUpdate(db, conversationId: conversationId)
        }
    }

    /// The conversation whose Slack thread is `threadTs` in `channelId`, nil when it is not one of ours.
    public func slackConversation(channelId: String, threadTs: String) async throws -> UUID? {
        try await pool.withConnection { db in try SlackThreadRepository.conversation(db, channelId: channelId, threadTs: threadTs) }
    }
}
