extension MessagingService {
    /// Which of a conversation's messages a page shows.
    public struct PageRequest: Sendable, Equatable {
        /// From 1.
        public var page: Int
        public var limit: Int
        /// Only messages created strictly before this time.
        public var before: Timestamp?
        /// Only messages created strictly after this time.
        public var after: Timestamp?

        public init(page: Int = 1, limit: Int = 50, before: Timestamp? = nil, after: Timestamp? = nil) {
            self.page = page
            self.limit = limit
            self.before = before
            self.after = after
        }

        /// The storage layer's form of this request.
        var storagePage: MessageRepository.Page {
            MessageRepository.Page(page: page, limit: limit, before: before, after: after)
        }
    }
}
