import Foundation
import MsgLib
import TestSupport
import Testing

/// Marking one message read while another transaction reads or deletes it: the answer is what that transaction left.
@Suite(.needsDatabase) struct ReadRaceTests {
    /// The message as `markRead` answers it after `change` commits while its update waits for the row.
    private func markReadAround(_ change: String) async throws -> (Result<Message, ServiceError>, Message, PostgresConnection) {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let service = MessagingService(pool: database.pool(size: 2), rules: MessagingRules(perMinute: 0, perHour: 0, perDay: 0))
        let conversation = try await service.createConversation(viewer: f.alice, initialMessage: nil).conversation
        let message = try await service.sendMessage(viewer: f.admin, conversationId: conversation.id, content: "read me")
        let holder = try database.connect()
        try holder.execute("BEGIN")
        try holder.query(change, [message.id])
        let answer = Task {
            do { return Result<Message, ServiceError>.success(try await service.markRead(viewer: f.alice, messageId: message.id)) } catch {
                return .failure(error as? ServiceError ?? ServiceError(.unavailable, "\(error)"))
            }
        }
        try await waitFor("the update waiting for the row", timeout: 60) {
            try db.lockWaiters() >= 1
        }
        try holder.execute("COMMIT")
        return (await answer.value, message, db)
    }

    @Test func aMessageReadMeanwhileAnswersItsFirstReadAt() async throws {
        let (answer, message, db) = try await markReadAround("UPDATE messages SET read_at = now() - interval '1 minute' WHERE id = $1")
        let read = try answer.get()
        let stored = try #require(try MessageRepository.find(db, id: message.id))
        #expect(read.readAt != nil && read.readAt == stored.readAt)
    }

    @Test func aMessageDeletedMeanwhileIsNotFound() async throws {
        let (answer, _, _) = try await markReadAround("UPDATE messages SET deleted_at = now() WHERE id = $1")
        guard case .failure(let error) = answer else {
            Issue.record("a deleted message was answered as read: \(answer)")
            return
        }
        #expect(error.kind == .notFound)
    }

    /// A message committed between a page's count and its rows: both come from one snapshot, so a full last page never
    /// says nothing older remains while its oldest message was pushed out. Forced: the rows' join waits for a lock on
    /// `users` that the count does not need, while the lock's holder inserts a message and commits.
    @Test func aPageAndItsCountComeFromOneSnapshot() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let service = MessagingService(pool: database.pool(size: 2), rules: MessagingRules(perMinute: 0, perHour: 0, perDay: 0))
        let conversation = try await service.createConversation(viewer: f.alice, initialMessage: nil).conversation
        for n in 1...5 { _ = try await service.sendMessage(viewer: f.alice, conversationId: conversation.id, content: "m\(n)") }
        let holder = try database.connect()
        try holder.execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        let listed = Task { try await service.listMessages(viewer: f.alice, conversationId: conversation.id, page: .init(limit: 5)) }
        try await waitFor("the page to wait for users", timeout: 60) {
            try db.lockWaiters() >= 1
        }
        try holder.query(
            "INSERT INTO messages (conversation_id, sender_id, content) VALUES ($1, $2, 'committed meanwhile')", [conversation.id, f.alice.id])
        try holder.execute("COMMIT")
        let (messages, total) = try await listed.value
        // The count and the rows agree: the page holds every message the count counted (m1 is not pushed out).
        #expect(total == 5)
        #expect(messages.map(\.message.content) == ["m1", "m2", "m3", "m4", "m5"])
    }

    /// A `mark_read` naming messages of two conversations, and another relay's reader of the same two, both waiting
    /// for the conversations' rows (reading updates a conversation's unread counters): each takes the rows in id order,
    /// so neither deadlocks. The other reader is a transaction updating the rows in id order. Every pair of six
    /// conversations in turn: grouping a frame's messages by conversation (a dictionary) lists some pairs the other
    /// way round.
    @Test func readsAcrossTheSameConversationsTakeTheirRowsInIdOrder() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let service = MessagingService(pool: database.pool(size: 3), rules: MessagingRules(perMinute: 0, perHour: 0, perDay: 0))
        var conversations: [(user: User, id: UUID)] = []
        for n in 1...6 {
            let user = try UserRepository.insert(db, username: "reader\(n)", displayName: "Reader \(n)")
            conversations.append((user, try await service.createConversation(viewer: user, initialMessage: nil).conversation.id))
        }
        conversations.sort { $0.id.lowercasedString < $1.id.lowercasedString }
        let holder = try database.connect()
        let peer = try database.connect()
        for i in conversations.indices {
            for j in conversations.indices where j > i {
                let (low, high) = (conversations[i], conversations[j])
                let ids = [
                    try await service.sendMessage(viewer: low.user, conversationId: low.id, content: "low").id,
                    try await service.sendMessage(viewer: high.user, conversationId: high.id, content: "high").id,
                ]
                try holder.execute("BEGIN")
                try holder.query("SELECT 1 FROM conversations WHERE id = ANY($1::uuid[]) FOR UPDATE", [[low.id, high.id]])
                let read = Task { try await service.markRead(viewer: f.admin, messageIds: ids).refusal == nil }
                try peer.execute("BEGIN")
                let peerDone = Task {
                    try await onOwnThread {
                        for id in [low.id, high.id] { try peer.query("UPDATE conversations SET updated_at = updated_at WHERE id = $1", [id]) }
                        try peer.execute("COMMIT")
                    }
                }
                try await waitFor("the read and the other reader to wait for the rows", timeout: 60) {
                    try db.lockWaiters() >= 2
                }
                try holder.execute("COMMIT")
                #expect(try await read.value)
                try await peerDone.value
            }
        }
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE read_at IS NULL", as: Int.self) == 0)
    }

    /// An admin marking another admin's reply read is told the same over REST and over a socket's `mark_read`.
    @Test func markingAnotherAdminsReplyIsRefusedAlikeOnBothPaths() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let other = try UserRepository.insert(db, username: "admin2", displayName: "Admin Two", isAdmin: true)
        let service = MessagingService(pool: database.pool(size: 2), rules: MessagingRules(perMinute: 0, perHour: 0, perDay: 0))
        let conversation = try await service.createConversation(viewer: f.alice, initialMessage: nil).conversation
        let reply = try await service.sendMessage(viewer: f.admin, conversationId: conversation.id, content: "reply")
        var single: ServiceError?
        do { _ = try await service.markRead(viewer: other, messageId: reply.id) } catch let error as ServiceError { single = error }
        let frame = try await service.markRead(viewer: other, messageIds: [reply.id])
        #expect(single?.message == "Only the recipient can mark a message as read")
        #expect(frame.refusal?.message == single?.message)
        #expect(frame.refusal?.kind == .forbidden)
    }
}
