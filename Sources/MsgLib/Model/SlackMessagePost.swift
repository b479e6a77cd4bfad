import Foundation

/// The Slack message that shows a message of a conversation (Slack app mode): the post the outbox made for it, or
/// the Slack message it came from. Reactions on one are mirrored to the other.
public struct SlackMessagePost: Sendable, Equatable {
    public var messageId: UUID
    public var channelId: String
    /// The Slack message's `ts` (what `reactions.add` names as `timestamp`).
    public var ts: String

    public init(messageId: UUID, channelId: String, ts: String) {
        self.messageId = messageId
        self.channelId = channelId
        self.ts = ts
    }
}
