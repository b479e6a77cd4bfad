/// The design document's success metrics over a time window, read from the database (`msgctl stats`).
public struct Statistics: Sendable, Encodable, Equatable {
    /// Messages on one calendar day (in ``timezone``).
    public struct Day: Sendable, Encodable, Equatable {
        public var date: String
        /// Sent by users in their own conversations.
        public var fromUsers: Int
        /// Sent by admins (anyone in another user's conversation): the messages handled that day.
        public var fromAdmins: Int

        enum CodingKeys: String, CodingKey {
            case date
            case fromUsers = "from_users"
            case fromAdmins = "from_admins"
        }
    }

    /// How long users waited for an admin's first answer. A wait starts with a user's message that follows an
    /// admin's (or opens the conversation's activity in the window) and ends at the next admin message.
    public struct FirstResponse: Sendable, Encodable, Equatable {
        public var medianSeconds: Double?
        public var p90Seconds: Double?
        /// Waits that ended with an answer.
        public var answered: Int
        /// Waits still open.
        public var waiting: Int

        enum CodingKeys: String, CodingKey {
            case medianSeconds = "median_seconds"
            case p90Seconds = "p90_seconds"
            case answered, waiting
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(medianSeconds, forKey: .medianSeconds)
            try container.encode(p90Seconds, forKey: .p90Seconds)
            try container.encode(answered, forKey: .answered)
            try container.encode(waiting, forKey: .waiting)
        }
    }

    public var since: Timestamp
    public var until: Timestamp
    /// The time zone of the days (the IANA name msgctl runs in).
    public var timezone: String
    public var days: [Day]
    /// Conversations with at least one message in the window, and conversations started in it.
    public var activeConversations: Int
    public var newConversations: Int
    /// Users who sent a message in their conversation in the window, and those of them who had written there before it.
    public var activeUsers: Int
    public var returningUsers: Int
    /// Messages no admin has read yet, the conversations holding them, and the oldest one's time.
    public var unreadMessages: Int
    public var unreadConversations: Int
    public var oldestUnreadAt: Timestamp?
    public var firstResponse: FirstResponse
    /// Notifications waiting in the outbox, and given up.
    public var notificationsPending: Int
    public var notificationsFailed: Int

    /// Messages in the window.
    public var messages: Int { days.reduce(0) { $0 + $1.fromUsers + $1.fromAdmins } }

    enum CodingKeys: String, CodingKey {
        case since, until, timezone, days, messages
        case activeConversations = "active_conversations"
        case newConversations = "new_conversations"
        case activeUsers = "active_users"
        case returningUsers = "returning_users"
        case unreadMessages = "unread_messages"
        case unreadConversations = "unread_conversations"
        case oldestUnreadAt = "oldest_unread_at"
        case firstResponse = "first_response"
        case notificationsPending = "notifications_pending"
        case notificationsFailed = "notifications_failed"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(since, forKey: .since)
        try container.encode(until, forKey: .until)
        try container.encode(timezone, forKey: .timezone)
        try container.encode(messages, forKey: .messages)
        try container.encode(days, forKey: .days)
        try container.encode(activeConversations, forKey: .activeConversations)
        try container.encode(newConversations, forKey: .newConversations)
        try container.encode(activeUsers, forKey: .activeUsers)
        try container.encode(returningUsers, forKey: .returningUsers)
        try container.encode(unreadMessages, forKey: .unreadMessages)
        try container.encode(unreadConversations, forKey: .unreadConversations)
        try container.encode(oldestUnreadAt, forKey: .oldestUnreadAt)
        try container.encode(firstResponse, forKey: .firstResponse)
        try container.encode(notificationsPending, forKey: .notificationsPending)
        try container.encode(notificationsFailed, forKey: .notificationsFailed)
    }
}
