import Foundation

/// One kind of reaction on a message: the emoji and who reacted with it, in the order they did.
public struct MessageReaction: Sendable, Equatable {
    public var emoji: String
    public var userIds: [UUID]

    public init(emoji: String, userIds: [UUID]) {
        self.emoji = emoji
        self.userIds = userIds
    }

    /// How many different reactions one message may carry.
    public static let maximumKinds = 20
}

/// The last change to a message's reactions, with all of them as they stand: what a `reaction_changed` frame says.
public struct ReactionChange: Sendable, Equatable {
    public var messageId: UUID
    public var conversationId: UUID
    /// The user whose conversation holds the message (the admin side is every admin).
    public var conversationUserId: UUID
    /// Who added or removed ``emoji`` (nil when that account was deleted since).
    public var userId: UUID?
    public var emoji: String
    public var added: Bool
    /// Every reaction of the message now, in the order each kind first appeared.
    public var reactions: [MessageReaction]

    public init(
        messageId: UUID, conversationId: UUID, conversationUserId: UUID, userId: UUID?, emoji: String, added: Bool, reactions: [MessageReaction]
    ) {
        self.messageId = messageId
        self.conversationId = conversationId
        self.conversationUserId = conversationUserId
        self.userId = userId
        self.emoji = emoji
        self.added = added
        self.reactions = reactions
    }

    /// How many reacted with ``emoji`` now.
    public var count: Int { reactions.first { $0.emoji == emoji }?.userIds.count ?? 0 }
}
