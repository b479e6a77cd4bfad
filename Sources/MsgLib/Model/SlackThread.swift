import Foundation

/// The Slack thread of a conversation (Slack app mode): the channel, and the parent message that heads the thread.
public struct SlackThread: Sendable, Equatable {
    public var conversationId: UUID
    public var channelId: String
    /// The thread's `ts` (replies are posted with it as `thread_ts`).
    public var threadTs: String
    /// The parent message's `ts` (what `chat.update` rewrites); the same as `threadTs` for threads the relay starts.
    public var parentTs: String
    /// The message the parent was posted for.
    public var parentMessageId: UUID

    public init(conversationId: UUID, channelId: String, threadTs: String, parentTs: String, parentMessageId: UUID) {
        self.conversationId = conversationId
        self.channelId = channelId
        self.threadTs = threadTs
        self.parentTs = parentTs
        self.parentMessageId = parentMessageId
    }
}

/// Where a message came from, which decides whether it is mirrored to Slack.
public enum MessageOrigin: String, Sendable, Equatable {
    /// Written through the product (REST, WebSocket, msgctl, the REPL): posted to the conversation's Slack thread in
    /// app mode.
    case product
    /// Came from Slack (a reply in a conversation's thread): stored and delivered as usual, never posted back.
    case slack
}
