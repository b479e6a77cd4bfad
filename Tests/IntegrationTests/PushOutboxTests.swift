import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// The push side of the outbox in the database.
@Suite(.needsDatabase) struct PushOutboxTests {
    /// Two relays' rounds each hold a job of one subscription, and the push service says it is gone to both: the one
    /// that removes the subscription waits for the other's job, and the other must not wait for it in turn (a deadlock
    /// that failed one round, whose job then waited the longest retry delay).
    @Test func twoRoundsRemovingOneGoneSubscriptionDoNotDeadlock() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let subscription = try db.scalar(
            "INSERT INTO push_subscriptions (user_id, endpoint, p256dh_key, auth_key) VALUES ($1, 'https://push.example/gone', 'k', 'a') RETURNING id",
            [f.admin.id], as: UUID.self)
        var jobs: [Int64] = []
        for content in ["one", "two"] {
            let message = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: content)
            jobs.append(
                try db.scalar(
                    "INSERT INTO notification_outbox (kind, message_id, subscription_id) VALUES ('push', $1, $2) RETURNING id",
                    [message.id, subscription], as: Int64.self))
        }
        let outbox = NotificationOutbox(kinds: [.push])
        let first = try database.connect()
        let second = try database.connect()
        for (connection, job) in [(first, jobs[0]), (second, jobs[1])] {
            try connection.execute("BEGIN")
            _ = try connection.query("SELECT id FROM notification_outbox WHERE id = $1 FOR UPDATE", [job])
        }
        // The first round removes the subscription: its cascade waits for the second round's job.
        let removal = Task { try await onOwnThread { try outbox.removeSubscription(first, id: subscription) } }
        try await waitFor("the first removal to wait", timeout: 60) {
            try db.lockWaiters() == 1
        }
        // The second meets the same answer: it leaves the removal to the first, finishes its job and commits.
        try outbox.removeSubscription(second, id: subscription)
        try outbox.finish(second, done: [jobs[1]], used: [])
        try second.execute("COMMIT")
        try await removal.value
        try outbox.finish(first, done: [jobs[0]], used: [])
        try first.execute("COMMIT")
        #expect(try db.scalar("SELECT count(*) FROM push_subscriptions", as: Int.self) == 0)
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0)
    }

    /// A round holds a job of a subscription while its user unsubscribes (or another relay's round, told it is gone,
    /// removes it): the removal's cascade waits for the round's job. The push was delivered, and recording that on the
    /// subscription must not wait for the removal in turn (a deadlock that failed the unsubscribe or the round).
    @Test func aDeliveryRecordedWhileTheSubscriptionIsRemovedDoesNotDeadlock() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let subscription = try db.scalar(
            "INSERT INTO push_subscriptions (user_id, endpoint, p256dh_key, auth_key) VALUES ($1, 'https://push.example/s', 'k', 'a') RETURNING id",
            [f.admin.id], as: UUID.self)
        let message = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "one")
        let job = try db.scalar(
            "INSERT INTO notification_outbox (kind, message_id, subscription_id) VALUES ('push', $1, $2) RETURNING id", [message.id, subscription],
            as: Int64.self)
        let round = try database.connect()
        try round.execute("BEGIN")
        _ = try round.query("SELECT id FROM notification_outbox WHERE id = $1 FOR UPDATE", [job])
        let admin = try database.connect()
        let unsubscribe = Task {
            try await onOwnThread { try PushSubscriptionRepository.delete(admin, userId: f.admin.id, endpoint: "https://push.example/s") }
        }
        try await waitFor("the removal to wait for the round's job", timeout: 60) {
            try db.lockWaiters() == 1
        }
        try NotificationOutbox(kinds: [.push]).finish(round, done: [job], used: [subscription])
        try round.execute("COMMIT")
        #expect(try await unsubscribe.value)
        #expect(try db.scalar("SELECT count(*) FROM push_subscriptions", as: Int.self) == 0)
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0)
    }
}
