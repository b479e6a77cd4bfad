import Foundation
import MsgLib
import TestSupport
import Testing

/// A user deleted while one of their sends waits for their conversation's row.
@Suite(.needsDatabase) struct UserDeletionRaceTests {
    /// The send finds the conversation when it inserts nothing, then waits for its lock behind a transaction holding
    /// it and the user's deletion; the deletion's cascade removes the row: the send answers "Unknown user" (it trapped,
    /// and took the whole relay down).
    @Test func aSendWhoseUserIsDeletedMeanwhileIsRefused() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let service = MessagingService(pool: database.pool(size: 2), rules: MessagingRules(perMinute: 0, perHour: 0, perDay: 0))
        let conversation = try await service.createConversation(viewer: f.alice, initialMessage: nil).conversation
        let holder = try database.connect()
        try holder.execute("BEGIN")
        try holder.query("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", [conversation.id])
        let deleter = try database.connect()
        let deletion = Task { try await onOwnThread { try deleter.query("DELETE FROM users WHERE id = $1", [f.alice.id]) } }
        try await waitFor("the deletion to wait for the conversation's row", timeout: 60) {
            try db.lockWaiters() >= 1
        }
        let send = Task {
            do {
                _ = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "last words")
                return "sent"
            } catch {
                return "\(error)"
            }
        }
        try await waitFor("the send to wait for the row too", timeout: 60) {
            try db.lockWaiters() >= 2
        }
        try holder.execute("COMMIT")
        try await deletion.value
        #expect(await send.value == "Unknown user")
        #expect(try db.scalar("SELECT count(*) FROM messages", as: Int.self) == 0)
    }
}
