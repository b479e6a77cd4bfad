import Foundation

/// The one conversation between a user and the admin, with its trigger-maintained counters.
public struct Conversation: Sendable, Equatable {
    public var id: UUID
    public var userId: UUID
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var lastMessageAt: Timestamp?
    /// Messages from the admin the user has not read.
    public var unreadCountUser: Int
    /// Messages from the user the admin has not read.
    public var unreadCountAdmin: Int
    public var archivedByAdmin: Bool
    public var archivedAt: Timestamp?

    /// The unread count as `viewer` sees it: the admin's counter for an admin, the user's for the user.
    public func unreadCount(forAdmin isAdmin: Bool) -> Int {
        isAdmin ? unreadCountAdmin : unreadCountUser
    }

    /// Whether a message from `senderId` here is for `reader` to read: its user's messages are for the admins, everyone
    /// else's (the admins') for its user. The conversation tells, not the sender's role, which may have changed since.
    public func isAddressed(from senderId: UUID, to reader: User) -> Bool {
        reader.id == userId ? senderId != userId : reader.isAdmin && senderId == userId
    }
}

/// A conversation as lists show it: with its user and a preview of the newest visible message.
public struct ConversationListing: Sendable, Equatable {
    public var conversation: Conversation
    public var user: User
    /// The first 100 characters of the newest non-deleted message, if any.
    public var lastMessagePreview: String?
}
