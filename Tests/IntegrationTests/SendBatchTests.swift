import Foundation
import MsgLib
import TestSupport
import Testing

/// Concurrent sends written together: a batch is forced by holding the first send's user row locked (its insert waits
/// in the foreign-key check) while the others arrive; every send still gets exactly its own answer.
@Suite(.needsDatabase) struct SendBatchTests {
    @Test func sendsWaitingForAWriteGoInOneTransactionAndEachGetsItsOwnAnswer() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        // One message per hour per user.
        let service = MessagingService(pool: database.pool(size: 4), rules: MessagingRules(perMinute: 0, perHour: 1, perDay: 0))
        let alices = try await service.createConversation(viewer: f.alice, initialMessage: nil).conversation
        var users: [User] = []
        for n in 0..<10 {
            let user = try UserRepository.insert(db, username: "user\(n)", displayName: "User \(n)")
            _ = try await service.createConversation(viewer: user, initialMessage: nil)
            users.append(user)
        }
        let newcomer = try UserRepository.insert(db, username: "newcomer", displayName: "Newcomer")
        let limited = try UserRepository.insert(db, username: "limited", displayName: "Limited")
        _ = try await service.sendMessage(viewer: limited, conversationId: nil, content: "the hour's one message")

        // Alice's user row is held locked: her send is written and waits for the lock.
        let holder = try database.connect()
        try holder.execute("BEGIN")
        try holder.query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [f.alice.id])
        let first = Task { try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "alice") }
        try await waitUntil {
            try db.lockWaiters() >= 1
        }
        typealias Outcome = Result<Message, ServiceError>
        func send(_ viewer: User, to conversation: UUID?, _ content: String) -> Task<Outcome, Never> {
            Task {
                do { return .success(try await service.sendMessage(viewer: viewer, conversationId: conversation, content: content)) } catch {
                    return .failure(error as? ServiceError ?? ServiceError(.unavailable, "\(error)"))
                }
            }
        }
        let batch = users.map { send($0, to: nil, "from \($0.username)") }
        let reply = send(f.admin, to: alices.id, "admin's reply")
        let intruder = send(f.bob, to: alices.id, "bob into alice's conversation")
        let firstOfNewcomer = send(newcomer, to: nil, "newcomer's first")
        let overLimit = send(limited, to: nil, "one too many")
        try await waitUntil { service.sends.waitingCount == 14 }
        try holder.execute("COMMIT")

        #expect(try await first.value.content == "alice")
        var batchIds: [UUID] = []
        for (user, task) in zip(users, batch) {
            let message = try await task.value.get()
            #expect(message.content == "from \(user.username)" && message.senderId == user.id)
            batchIds.append(message.id)
        }
        let replied = try await reply.value.get()
        #expect(replied.conversationId == alices.id && replied.senderId == f.admin.id)
        if case .failure(let error) = await intruder.value {
            #expect(error.kind == .forbidden)
        } else {
            Issue.record("bob wrote into alice's conversation")
        }
        let welcomed = try await firstOfNewcomer.value.get()
        #expect(try ConversationRepository.find(db, userId: newcomer.id)?.id == welcomed.conversationId)
        guard case .failure(let refusal) = await overLimit.value else {
            Issue.record("the limited user's second message was admitted")
            return
        }
        #expect(refusal.kind == .rateLimited && (refusal.retryAfter ?? 0) > 3000)

        // The ten users' messages and the admin's reply were committed together, and nothing else was written.
        #expect(try db.scalar("SELECT count(DISTINCT txid) FROM messages WHERE id = ANY($1::uuid[])", [batchIds + [replied.id]], as: Int.self) == 1)
        #expect(try db.scalar("SELECT count(*) FROM messages", as: Int.self) == 14)
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE sender_id = $1", [limited.id], as: Int.self) == 1)
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE sender_id = $1", [f.bob.id], as: Int.self) == 0)
        // Each user's bucket was taken once.
        #expect(try db.scalar("SELECT count(*) FROM sender_rate_limits", as: Int.self) == 13)
    }

    /// Waits for `condition`, at most 60 s (the whole suite running beside it can starve it for tens of seconds).
    func waitUntil(_ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while try !condition() {
            try #require(ContinuousClock.now < deadline, "condition not reached within 60 s")
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// A conversation another transaction holds does not hold up the others: its send waits on its own connection.
    @Test func aConversationHeldElsewhereDoesNotHoldUpOtherSenders() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let service = MessagingService(pool: database.pool(size: 4))
        let alices = try await service.createConversation(viewer: f.alice, initialMessage: nil).conversation
        _ = try await service.createConversation(viewer: f.bob, initialMessage: nil)
        let holder = try database.connect()
        try holder.execute("BEGIN")
        try holder.query("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", [alices.id])
        let alice = Task { try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "waits") }
        try await waitUntil {
            try db.lockWaiters() >= 1
        }
        // Alice's send waits for her conversation; Bob's goes through meanwhile, in a batch of its own.
        for n in 0..<3 { _ = try await service.sendMessage(viewer: f.bob, conversationId: nil, content: "bob \(n)") }
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE sender_id = $1", [f.bob.id], as: Int.self) == 3)
        try holder.execute("COMMIT")
        #expect(try await alice.value.content == "waits")
    }
}
