import Foundation

/// One kind of reaction as a viewer sees it: `{emoji, count, reacted_by_me}`, and for an admin `users` (who reacted,
/// in order). In message representations, REST answers and `reaction_changed` frames.
public struct ReactionRepresentation: Codable, Sendable, Equatable {
    public var emoji: String
    public var count: Int
    public var reactedByMe: Bool
    /// The ids of those who reacted, for an admin; absent for a user.
    public var users: [String]?

    enum CodingKeys: String, CodingKey {
        case emoji, count, users
        case reactedByMe = "reacted_by_me"
    }

    public init(_ reaction: MessageReaction, viewer: User?) {
        emoji = reaction.emoji
        count = reaction.userIds.count
        reactedByMe = viewer.map { reaction.userIds.contains($0.id) } ?? false
        users = viewer?.isAdmin == true ? reaction.userIds.map(\.lowercasedString) : nil
    }

    /// `reactions` as `viewer` sees them.
    public static func list(_ reactions: [MessageReaction], viewer: User?) -> [ReactionRepresentation] {
        reactions.map { ReactionRepresentation($0, viewer: viewer) }
    }
}

/// `PUT` and `DELETE /api/messages/:id/reactions/:emoji`: the message's reactions after the change.
public struct ReactionsResponse: Codable, Sendable, Equatable {
    public var messageId: String
    public var reactions: [ReactionRepresentation]

    enum CodingKeys: String, CodingKey {
        case reactions
        case messageId = "message_id"
    }

    public init(messageId: UUID, reactions: [MessageReaction], viewer: User) {
        self.messageId = messageId.lowercasedString
        self.reactions = ReactionRepresentation.list(reactions, viewer: viewer)
    }
}

/// The data of a `reaction_changed` frame, as one viewer sees it.
public struct ReactionChangedRepresentation: Codable, Sendable, Equatable {
    public var messageId: String
    public var conversationId: String
    public var emoji: String
    /// How many reacted with `emoji` now.
    public var count: Int
    /// Who acted (null when that account is gone).
    public var userId: String?
    public var added: Bool
    /// Every reaction of the message now: what a client shows.
    public var reactions: [ReactionRepresentation]

    enum CodingKeys: String, CodingKey {
        case emoji, count, added, reactions
        case messageId = "message_id"
        case conversationId = "conversation_id"
        case userId = "user_id"
    }

    public init(_ change: ReactionChange, viewer: User?) {
        messageId = change.messageId.lowercasedString
        conversationId = change.conversationId.lowercasedString
        emoji = change.emoji
        count = change.count
        userId = change.userId?.lowercasedString
        added = change.added
        reactions = ReactionRepresentation.list(change.reactions, viewer: viewer)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(messageId, forKey: .messageId)
        try c.encode(conversationId, forKey: .conversationId)
        try c.encode(emoji, forKey: .emoji)
        try c.encode(count, forKey: .count)
        try c.encode(userId, forKey: .userId)
        try c.encode(added, forKey: .added)
        try c.encode(reactions, forKey: .reactions)
    }
}
