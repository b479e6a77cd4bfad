import Foundation

extension MessagingService {
    /// A message (deleted or not) with every change made to it: admins only. Users see `edited_at` and nothing more.
    /// - Throws: `.forbidden` for a user (whatever the id), `.notFound` for an unknown message.
    public func messageHistory(viewer: User, messageId: UUID) async throws -> MessageWithHistory {
        try Self.requireAdmin(viewer)
        guard let found = try await pool.withConnection({ db in try MessageRepository.withHistory(db, id: messageId) }) else {
            throw ServiceError.messageNotFound
        }
        return found
    }

    /// The history of each of `messageIds` that has one (`msgctl show --history`): admins only.
    public func messageHistories(viewer: User, messageIds: [UUID]) async throws -> [UUID: [MessageHistoryEntry]] {
        try Self.requireAdmin(viewer)
        guard !messageIds.isEmpty else { return [:] }
        return try await pool.withConnection { db in try MessageRepository.history(db, messageIds: messageIds) }
    }

    /// Removes for good the messages soft-deleted before `cutoff`, with their history and notification jobs, in
    /// batches of `batch` (each its own transaction). Messages with files still in the attachment store, and those a
    /// conversation's Slack thread is anchored on, are kept (and counted as kept). Run by an admin's tool only
    /// (`msgctl purge`): nothing here checks a viewer.
    package func purgeDeletedMessages(before cutoff: Timestamp, batch: Int = 1000) async throws -> PurgeSummary {
        var total = PurgeSummary()
        while true {
            let done = try await pool.withTransaction { db in try MessageRepository.purgeDeleted(db, before: cutoff, limit: batch) }
            total.messages += done.messages
            total.historyEntries += done.historyEntries
            total.notificationJobs += done.notificationJobs
            if done.messages < batch { break }
        }
        let left = try await countDeletedMessages(before: cutoff)
        total.keptForFiles = left.keptForFiles
        total.keptForSlack = left.keptForSlack
        return total
    }

    /// How many messages ``purgeDeletedMessages(before:batch:)`` would remove now (`messages`), and keep.
    package func countDeletedMessages(before cutoff: Timestamp) async throws -> PurgeSummary {
        try await pool.withConnection { db in try MessageRepository.countDeleted(db, before: cutoff) }
    }
}
