import Foundation

extension MessagingService {
    /// Which messages a search considers, besides the query (a user's search is always limited to their own
    /// conversation).
    public struct SearchOptions: Sendable, Equatable {
        /// Only this conversation.
        public var conversationId: UUID?
        /// Only messages created strictly before this time.
        public var before: Timestamp?
        /// Only messages created strictly after this time.
        public var after: Timestamp?
        /// The most hits to return.
        public var limit: Int

        public init(conversationId: UUID? = nil, before: Timestamp? = nil, after: Timestamp? = nil, limit: Int = 20) {
            self.conversationId = conversationId
            self.before = before
            self.after = after
            self.limit = limit
        }

        /// The storage layer's filter for `viewer`: all conversations for an admin, their own for a user.
        func storageFilter(viewer: User) -> MessageRepository.SearchFilter {
            MessageRepository.SearchFilter(
                conversationId: conversationId, ownerUserId: viewer.isAdmin ? nil : viewer.id, before: before, after: after, limit: limit)
        }
    }
}
