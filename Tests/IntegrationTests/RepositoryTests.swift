import Foundation
import MsgLib
import TestSupport
import Testing

@Suite(.needsDatabase) struct RepositoryTests {
    @Test func users() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        #expect(try UserRepository.find(db, id: f.alice.id) == f.alice)
        #expect(try UserRepository.find(db, username: "bob") == f.bob)
        #expect(try UserRepository.find(db, username: "nobody") == nil)
        #expect(try UserRepository.list(db).map(\.username) == ["admin", "alice", "bob"])
        #expect(try UserRepository.admins(db) == [f.admin])
        #expect(f.alice.slug == "alice")
        let odd = try UserRepository.insert(db, username: "Zoë O'Brien", displayName: "Zoë")
        #expect(odd.slug == "zo-o-brien")
        let taken = #expect(throws: DatabaseError.self) { try UserRepository.insert(db, username: "alice", displayName: "Other") }
        #expect(taken?.kind == .conflict)
    }

    @Test func conversations() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let a = try ConversationRepository.insert(db, userId: f.alice.id)
        let b = try ConversationRepository.insert(db, userId: f.bob.id)
        #expect(try ConversationRepository.find(db, id: a.id) == a)
        #expect(try ConversationRepository.find(db, userId: f.bob.id) == b)
        #expect(try ConversationRepository.find(db, id: UUID()) == nil)
        _ = try MessageRepository.insert(db, conversationId: a.id, senderId: f.alice.id, content: String(repeating: "x", count: 150))
        let latest = try MessageRepository.insert(db, conversationId: b.id, senderId: f.bob.id, content: "from bob")

        var (listings, total) = try ConversationRepository.list(db, filter: .init())
        #expect(total == 2)
        #expect(listings.map(\.conversation.id) == [b.id, a.id])
        #expect(listings[0].user == f.bob)
        #expect(listings[0].lastMessagePreview == "from bob")
        #expect(listings[1].lastMessagePreview == String(repeating: "x", count: 100))

        // Deleted messages vanish from previews.
        #expect(try MessageRepository.softDelete(db, id: latest.id, by: nil)?.deletedAt == nil)
        (listings, _) = try ConversationRepository.list(db, filter: .init(userId: f.bob.id))
        #expect(listings.count == 1)
        #expect(listings[0].lastMessagePreview == nil)

        let archived = try #require(try ConversationRepository.setArchived(db, id: a.id, archived: true))
        #expect(archived.archivedByAdmin)
        #expect(archived.archivedAt != nil)
        (listings, total) = try ConversationRepository.list(db, filter: .init(archived: true))
        #expect(total == 1 && listings[0].conversation.id == a.id)
        (listings, total) = try ConversationRepository.list(db, filter: .init(archived: false))
        #expect(total == 1 && listings[0].conversation.id == b.id)
        // Bob's only message was deleted, which took it out of the admin's unread count.
        (listings, total) = try ConversationRepository.list(db, filter: .init(archived: nil, unreadByAdmin: true))
        #expect(total == 1 && listings[0].conversation.id == a.id)
        (listings, total) = try ConversationRepository.list(db, filter: .init(archived: nil, page: 2, limit: 1))
        #expect(total == 2 && listings.map(\.conversation.id) == [a.id])
        let unarchived = try #require(try ConversationRepository.setArchived(db, id: a.id, archived: false))
        #expect(!unarchived.archivedByAdmin && unarchived.archivedAt == nil)
        #expect(try ConversationRepository.setArchived(db, id: UUID(), archived: true) == nil)
    }

    /// A user's new message brings an archived conversation back into the admin's list; an admin's leaves it archived.
    @Test func aUsersMessageUnarchivesTheConversation() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "a question")
        let archived = try #require(try ConversationRepository.setArchived(db, id: conversation.id, archived: true))
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.admin.id, content: "closing this")
        var now = try #require(try ConversationRepository.find(db, id: conversation.id))
        #expect(now.archivedByAdmin && now.archivedAt == archived.archivedAt)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "one more thing")
        now = try #require(try ConversationRepository.find(db, id: conversation.id))
        #expect(!now.archivedByAdmin && now.archivedAt == nil)
        #expect(now.unreadCountAdmin == 2)
        let (listings, total) = try ConversationRepository.list(db, filter: .init(archived: false))
        #expect(total == 1 && listings.first?.conversation.id == conversation.id)
    }

    @Test func messages() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let c = try ConversationRepository.insert(db, userId: f.alice.id)
        var sent: [Message] = []
        for i in 1...5 {
            let sender = i % 2 == 0 ? f.admin.id : f.alice.id
            sent.append(try MessageRepository.insert(db, conversationId: c.id, senderId: sender, content: "message \(i)"))
        }
        #expect(try MessageRepository.find(db, id: sent[0].id) == sent[0])
        var page = try MessageRepository.list(db, conversationId: c.id, page: .init(page: 1, limit: 2))
        #expect(page.total == 5)
        #expect(page.messages.map(\.message.id) == [sent[3].id, sent[4].id])
        #expect(page.messages[0].sender == f.admin)
        page = try MessageRepository.list(db, conversationId: c.id, page: .init(page: 3, limit: 2))
        #expect(page.messages.map(\.message.id) == [sent[0].id])
        page = try MessageRepository.list(db, conversationId: c.id, page: .init(before: sent[2].createdAt, after: sent[0].createdAt))
        #expect(page.messages.map(\.message.id) == [sent[1].id])
        #expect(page.total == 1)
        page = try MessageRepository.list(db, conversationId: c.id, page: .init(page: 1, limit: 2, after: sent[0].createdAt))
        #expect(page.messages.map(\.message.id) == [sent[1].id, sent[2].id])
        #expect(page.total == 4)

        // Alice reads the admin's messages: only those change.
        let read = try MessageRepository.markRead(db, conversationId: c.id, readByItsUser: true)
        #expect(Set(read.map(\.id)) == [sent[1].id, sent[3].id])
        #expect(read.allSatisfy { $0.readAt != nil })
        // The admin reads one listed message.
        let one = try MessageRepository.markRead(db, conversationId: c.id, readByItsUser: false, ids: [sent[0].id, sent[1].id])
        #expect(one.map(\.id) == [sent[0].id])
        let conversation = try #require(try ConversationRepository.find(db, id: c.id))
        #expect(conversation.unreadCountUser == 0 && conversation.unreadCountAdmin == 2)

        let edited = try #require(try MessageRepository.edit(db, id: sent[4].id, content: "changed", by: nil))
        #expect(edited.content == "changed" && edited.editedAt != nil)
        #expect(try MessageRepository.softDelete(db, id: sent[4].id, by: nil) != nil)
        #expect(try MessageRepository.softDelete(db, id: sent[4].id, by: nil) == nil)
        #expect(try MessageRepository.edit(db, id: sent[4].id, content: "again", by: nil) == nil)
        #expect(try MessageRepository.find(db, id: sent[4].id)?.deletedAt != nil)
        #expect(try MessageRepository.list(db, conversationId: c.id, page: .init()).total == 4)
        #expect(try MessageRepository.softDeleteAll(db, conversationId: c.id, by: nil) == 4)
        #expect(try MessageRepository.list(db, conversationId: c.id, page: .init()).total == 0)
        #expect(try db.scalar("SELECT count(*) FROM messages", as: Int.self) == 5)
    }

    @Test func readReceiptsAreFoundByTheTimeTheyWereRead() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let c = try ConversationRepository.insert(db, userId: f.alice.id)
        let sent = try (1...4).map { try MessageRepository.insert(db, conversationId: c.id, senderId: f.alice.id, content: "message \($0)") }
        // Read out of their order of creation; one long ago, one never, one read then deleted.
        for (index, age) in [(2, "1 second"), (0, "2 seconds"), (1, "1 day"), (3, "3 seconds")] {
            try db.query("UPDATE messages SET read_at = now() - $2::interval WHERE id = $1", [sent[index].id, age])
        }
        try db.query("UPDATE messages SET deleted_at = now() WHERE id = $1", [sent[3].id])
        let since = try db.scalar("SELECT now() - interval '1 minute'", as: Timestamp.self)
        #expect(try DeliveryRepository.reads(db, since: since).map(\.message.id) == [sent[0].id, sent[2].id])
        // The statement can be answered from the read-time index alone (the planner prefers it on a large table).
        let plan = try db.transaction {
            try db.setLocal([("enable_seqscan", "off")])
            return try db.query("EXPLAIN " + DeliveryRepository.readsSQL, [since]).map { try $0.decode(0, as: String.self) }
        }
        #expect(plan.contains { $0.contains("idx_messages_read_at") }, "\(plan)")
        // Only read messages are in it: a send, which is unread, adds no entry.
        #expect(try db.scalar("SELECT pg_get_indexdef('idx_messages_read_at'::regclass) LIKE '%WHERE (read_at IS NOT NULL)'", as: Bool.self))
    }

    @Test func search() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let a = try ConversationRepository.insert(db, userId: f.alice.id)
        let b = try ConversationRepository.insert(db, userId: f.bob.id)
        let m1 = try MessageRepository.insert(
            db, conversationId: a.id, senderId: f.alice.id, content: "My invoice <script>alert(1)</script> is wrong")
        let m2 = try MessageRepository.insert(db, conversationId: b.id, senderId: f.bob.id, content: "invoice invoice invoice please")
        _ = try MessageRepository.insert(db, conversationId: b.id, senderId: f.bob.id, content: "nothing to see")

        var result = try MessageRepository.search(db, query: "invoice", filter: .init())
        #expect(result.total.count == 2)
        #expect(result.hits.map(\.message.id) == [m2.id, m1.id])
        #expect(result.hits[0].rank > result.hits[1].rank)
        let snippet = result.hits[1].snippet.html
        #expect(snippet.contains("<mark>invoice</mark>"))
        #expect(snippet.contains("&lt;script&gt;"))
        #expect(!snippet.contains("<script>"))
        #expect(result.hits[1].user == f.alice)

        result = try MessageRepository.search(db, query: "invoice", filter: .init(ownerUserId: f.alice.id))
        #expect(result.hits.map(\.message.id) == [m1.id] && result.total.count == 1)
        result = try MessageRepository.search(db, query: "invoice", filter: .init(conversationId: b.id))
        #expect(result.hits.map(\.message.id) == [m2.id])
        result = try MessageRepository.search(db, query: "invoice", filter: .init(limit: 1))
        #expect(result.hits.count == 1 && result.total.count == 2)
        result = try MessageRepository.search(db, query: "invoice", filter: .init(before: m2.createdAt))
        #expect(result.hits.map(\.message.id) == [m1.id])
        _ = try MessageRepository.softDelete(db, id: m2.id, by: nil)
        result = try MessageRepository.search(db, query: "invoice", filter: .init())
        #expect(result.hits.map(\.message.id) == [m1.id])
        // Control characters in content cannot forge highlight markers.
        _ = try MessageRepository.insert(db, conversationId: a.id, senderId: f.alice.id, content: "\u{01}fake\u{02} receipt")
        result = try MessageRepository.search(db, query: "receipt", filter: .init())
        #expect(result.hits.first?.snippet.html == "fake <mark>receipt</mark>")
    }

    @Test func pushSubscriptions() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let s1 = try #require(
            try PushSubscriptionRepository.upsert(db, userId: f.alice.id, endpoint: "https://push.example/1", p256dh: "k1", auth: "a1"))
        let s2 = try #require(
            try PushSubscriptionRepository.upsert(db, userId: f.admin.id, endpoint: "https://push.example/2", p256dh: "k2", auth: "a2"))
        #expect(try PushSubscriptionRepository.list(db, userId: f.alice.id) == [s1])
        #expect(try PushSubscriptionRepository.listForAdmins(db) == [s2])
        // The same endpoint again, by its owner, updates in place.
        let renewed = try PushSubscriptionRepository.upsert(db, userId: f.alice.id, endpoint: "https://push.example/1", p256dh: "k3", auth: "a3")
        #expect(renewed?.id == s1.id && renewed?.userId == f.alice.id && renewed?.p256dhKey == "k3")
        // Another user cannot take it over: nothing changes.
        #expect(try PushSubscriptionRepository.upsert(db, userId: f.bob.id, endpoint: "https://push.example/1", p256dh: "k4", auth: "a4") == nil)
        #expect(try PushSubscriptionRepository.list(db, userId: f.alice.id).map(\.p256dhKey) == ["k3"])
        #expect(try PushSubscriptionRepository.list(db, userId: f.bob.id).isEmpty)
        try PushSubscriptionRepository.touch(db, ids: [s2.id])
        #expect(try PushSubscriptionRepository.list(db, userId: f.admin.id).first?.lastUsedAt != nil)
        #expect(try PushSubscriptionRepository.list(db, userId: f.alice.id).first?.lastUsedAt == nil)
        #expect(try !PushSubscriptionRepository.delete(db, userId: f.bob.id, endpoint: "https://push.example/1"))
        #expect(try PushSubscriptionRepository.delete(db, userId: f.alice.id, endpoint: "https://push.example/1"))
        #expect(try !PushSubscriptionRepository.delete(db, userId: f.alice.id, endpoint: "https://push.example/1"))
        #expect(try PushSubscriptionRepository.delete(db, id: s2.id))
        #expect(try PushSubscriptionRepository.listForAdmins(db).isEmpty)
    }

    /// At most `limit` subscriptions per user: a new one evicts the least recently used (last delivery, else
    /// creation) with its pending jobs; renewing one of them evicts nothing; other users are not touched. Two
    /// connections subscribing for one user at once still end at the limit.
    @Test func subscriptionsPerUserAreCappedLeastRecentlyUsedFirst() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        func subscribe(_ user: UUID, _ n: Int) throws -> PushSubscription? {
            try db.transaction {
                try PushSubscriptionRepository.upsert(db, userId: user, endpoint: "https://push.example/\(n)", p256dh: "k", auth: "a", limit: 3)
            }
        }
        let first = try #require(try subscribe(f.admin.id, 1))
        let second = try #require(try subscribe(f.admin.id, 2))
        let third = try #require(try subscribe(f.admin.id, 3))
        _ = try subscribe(f.alice.id, 100)
        // The first was used since: the second is now the least recently used.
        try db.query("UPDATE push_subscriptions SET created_at = now() - interval '1 hour' WHERE user_id = $1", [f.admin.id])
        try PushSubscriptionRepository.touch(db, ids: [first.id])
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, sender: f.alice, content: "hi")
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox WHERE subscription_id = $1", [second.id], as: Int.self) == 1)
        _ = try #require(try subscribe(f.admin.id, 4))
        var ids = Set(try PushSubscriptionRepository.list(db, userId: f.admin.id).map(\.id))
        #expect(ids.count == 3 && ids.contains(first.id) && ids.contains(third.id) && !ids.contains(second.id))
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox WHERE subscription_id = $1", [second.id], as: Int.self) == 0)
        // Renewing a subscription the user has keeps all three.
        #expect(try subscribe(f.admin.id, 3)?.id == third.id)
        ids = Set(try PushSubscriptionRepository.list(db, userId: f.admin.id).map(\.id))
        #expect(ids.count == 3)
        #expect(try PushSubscriptionRepository.list(db, userId: f.alice.id).count == 1)

        // Many at once through several connections: the lock per user keeps the count exact.
        let connections = try (0..<4).map { _ in try database.connect() }
        let bob = f.bob.id
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, connection) in connections.enumerated() {
                group.addTask {
                    for n in 0..<5 {
                        _ = try connection.transaction {
                            try PushSubscriptionRepository.upsert(
                                connection, userId: bob, endpoint: "https://push.example/\(1000 + index * 10 + n)", p256dh: "k", auth: "a", limit: 3)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try PushSubscriptionRepository.list(db, userId: f.bob.id).count == 3)
    }

    @Test func insertWithoutAConversationIdGoesToTheSendersOwnConversation() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        #expect(try MessageRepository.insert(db, conversationId: nil, sender: f.alice, content: "before") == nil)
        let alices = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try ConversationRepository.insert(db, userId: f.bob.id)
        let stored = try #require(try MessageRepository.insert(db, conversationId: nil, sender: f.alice, content: "mine"))
        #expect(stored.message.conversationId == alices.id && stored.conversationUserId == f.alice.id)
        // An admin has no conversation of their own; a user may not write into someone else's.
        #expect(try MessageRepository.insert(db, conversationId: nil, sender: f.admin, content: "x") == nil)
        #expect(try MessageRepository.insert(db, conversationId: alices.id, sender: f.bob, content: "x") == nil)
        #expect(try MessageRepository.insert(db, conversationId: alices.id, sender: f.admin, content: "reply")?.conversationUserId == f.alice.id)
        #expect(try db.scalar("SELECT count(*) FROM messages", as: Int.self) == 2)
    }

    @Test func outboxClaimsTheOldestDueJobsOfItsKindsAndSkipsLockedOnes() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let other = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let subscription = try #require(
            try PushSubscriptionRepository.upsert(db, userId: f.admin.id, endpoint: "https://push.example/a", p256dh: "k", auth: "a"))
        var sent: [UUID] = []
        for n in 1...6 {
            let stored = try #require(
                try MessageRepository.insert(db, conversationId: conversation.id, sender: f.alice, content: "m\(n)", notifySlack: true))
            sent.append(stored.message.id)
        }
        // Jobs of later messages made due earlier come first; jobs not due yet and jobs given up are not claimed.
        let all = try db.transaction { try OutboxRepository.claimDue(db, kinds: [.push], limit: 10) }
        #expect(all.map(\.message.id) == sent)
        try OutboxRepository.retry(db, id: all[0].id, in: 3600, error: "later")
        try OutboxRepository.fail(db, id: all[1].id, error: "given up")
        try db.query("UPDATE notification_outbox SET available_at = now() - interval '1 hour' WHERE id = $1", [all[5].id])

        try db.transaction {
            let first = try OutboxRepository.claimDue(db, kinds: [.push], limit: 2)
            #expect(first.map(\.message.id) == [sent[5], sent[2]])
            #expect(first.allSatisfy { $0.kind == .push && $0.subscription?.id == subscription.id && $0.conversationUser.id == f.alice.id })
            #expect(first.first?.message.content == "m6")
            // Another worker meanwhile gets the next due jobs, never the locked ones.
            let second = try other.transaction { try OutboxRepository.claimDue(other, kinds: [.push], limit: 10) }
            #expect(second.map(\.message.id) == [sent[3], sent[4]])
            let slack = try other.transaction { try OutboxRepository.claimDue(other, kinds: [.slack], limit: 3) }
            #expect(slack.map(\.message.id) == Array(sent.prefix(3)))
            #expect(slack.allSatisfy { $0.kind == .slack && $0.subscription == nil })
        }
    }
}
