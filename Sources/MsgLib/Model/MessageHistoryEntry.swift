import Foundation

/// One change of a message, as `message_history` keeps it (migration 28): an edit with the text it replaced, a soft
/// delete, or a restore, with who made it and when.
public struct MessageHistoryEntry: Sendable, Equatable {
    public enum Action: String, Sendable, Equatable {
        case edit, delete, restore
    }

    public var messageId: UUID
    public var action: Action
    /// When the change was made: the edit's `edited_at`, the delete's `deleted_at`.
    public var changedAt: Timestamp
    /// The user who made the change, as the writer named it; nil for a change made without naming one (plain SQL).
    public var actorId: UUID?
    /// That user as stored now; nil when unknown or since removed.
    public var actor: User?
    /// The database role that made the change.
    public var databaseRole: String
    /// For an edit: the text it replaced, and when that text was written (the message's creation or an earlier edit).
    public var previousContent: String?
    public var previousWrittenAt: Timestamp?

    public init(
        messageId: UUID, action: Action, changedAt: Timestamp, actorId: UUID?, actor: User?, databaseRole: String, previousContent: String?,
        previousWrittenAt: Timestamp?
    ) {
        self.messageId = messageId
        self.action = action
        self.changedAt = changedAt
        self.actorId = actorId
        self.actor = actor
        self.databaseRole = databaseRole
        self.previousContent = previousContent
        self.previousWrittenAt = previousWrittenAt
    }
}

/// A message, deleted or not, with its sender and every change made to it, oldest first: what an admin reads.
public struct MessageWithHistory: Sendable, Equatable {
    public var message: Message
    public var sender: User
    public var history: [MessageHistoryEntry]
}

/// What `msgctl purge` removed for good.
public struct PurgeSummary: Sendable, Equatable {
    /// Soft-deleted messages removed, with their history entries and notification jobs.
    public var messages = 0
    public var historyEntries = 0
    public var notificationJobs = 0
    /// Deleted messages kept because files of theirs are still in the attachment store.
    public var keptForFiles = 0
    /// Deleted messages kept because a conversation's Slack thread is anchored on them.
    public var keptForSlack = 0

    public init() {}
}
