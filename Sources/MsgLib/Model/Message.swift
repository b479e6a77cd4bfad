import Foundation

/// A message in a conversation. Deleted messages keep their row (`deletedAt` set) but are hidden.
public struct Message: Sendable, Equatable {
    public var id: UUID
    public var conversationId: UUID
    public var senderId: UUID
    public var content: String
    public var createdAt: Timestamp
    public var readAt: Timestamp?
    public var editedAt: Timestamp?
    public var deletedAt: Timestamp?
    /// Its files, in the order the sender gave them (empty for most messages).
    public var attachments: [MessageAttachment] = []
    /// Its reactions, where the read asked for them (``MessageReaction``).
    public var reactions: [MessageReaction] = []

    /// The most characters a message may hold, counted as PostgreSQL's `char_length` counts them.
    public static let maximumLength = 10_000

    /// True when `content` has 1 to 10,000 characters as PostgreSQL counts them (Unicode scalars); with
    /// attachments, 0 characters are enough.
    public static func isValidContent(_ content: String, hasAttachments: Bool = false) -> Bool {
        let count = content.unicodeScalars.count
        return count >= (hasAttachments ? 0 : 1) && count <= maximumLength
    }
}

/// A message with its sender, as message lists show it.
public struct MessageWithSender: Sendable, Equatable {
    public var message: Message
    public var sender: User
}

/// One search hit.
public struct MessageSearchHit: Sendable, Equatable {
    public var message: Message
    public var rank: Double
    public var user: User
    /// The matching passage, its matches highlighted.
    public var snippet: Snippet
}

/// How many messages a search matched: exact, or (for a search over all conversations whose matches run past
/// ``bound``) at least ``bound``, shown as "10,000+".
public struct SearchTotal: Sendable, Equatable, CustomStringConvertible {
    /// Past this many matches, a search over all conversations ranks the newest this many and says "this many or more".
    public static let bound = 10_000

    public var count: Int
    /// False when `count` is ``bound`` and more messages match.
    public var isExact: Bool

    public init(count: Int, isExact: Bool = true) {
        self.count = count
        self.isExact = isExact
    }

    public var description: String { isExact ? "\(count)" : "\(count)+" }
}
