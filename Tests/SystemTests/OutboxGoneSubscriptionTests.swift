import Foundation
import Logging
import TestSupport
import Testing

@testable import MsgLib
@testable import RelayKit

/// Two relays' rounds, each holding a job of each of two subscriptions whose push service answers 410: each round
/// removed a subscription inside its transaction, whose cascade waited for the other round's job, while the other
/// did the same with the other subscription (a deadlock: one round's outcomes failed and its jobs waited an hour).
/// Subscriptions are now removed once their round has committed.
@Suite(.needsDatabase) struct OutboxGoneSubscriptionTests {
    @Test func twoRoundsRemovingTwoGoneSubscriptionsDoNotDeadlock() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let service = try RecordingHTTPServer()
        defer { service.stop() }
        // No answer until both rounds' requests came: both rounds hold their jobs at once, however busy the machine.
        service.respond { [service] _ in
            let deadline = Date().addingTimeInterval(60)
            while service.requests.count < 4, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            return .init(status: 410)
        }
        var subscriptions: [UUID] = []
        for name in ["s1", "s2"] {
            let browser = PushBrowser(endpoint: service.url("/\(name)"))
            subscriptions.append(
                try db.scalar(
                    "INSERT INTO push_subscriptions (user_id, endpoint, p256dh_key, auth_key) VALUES ($1, $2, $3, $4) RETURNING id",
                    [f.admin.id, browser.endpoint, Base64URL.encode(browser.key.publicKey.uncompressedPoint), Base64URL.encode(browser.auth)],
                    as: UUID.self))
        }
        // m1 -> s1, m1 -> s2, m2 -> s1, m2 -> s2, in that order of ids: each round of two takes one job of each.
        for content in ["m1", "m2"] {
            let message = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: content)
            for subscription in subscriptions {
                try db.query(
                    "INSERT INTO notification_outbox (kind, message_id, subscription_id) VALUES ('push', $1, $2)", [message.id, subscription])
            }
        }
        var configuration = try NotificationConfiguration.fromEnvironment(
            PushEnvironment.variables.compactMapValues { $0 }.merging(["OUTBOX_RETRY_BASE_SECONDS": "0.2"]) { $1 })
        configuration.batchSize = 2
        let notifier = Notifier(configuration: configuration)
        let workers = (0..<2).map { _ in
            OutboxWorker(conninfo: database.conninfo, notifier: notifier, logger: Logger(label: "test"), lane: .firstAttempts)
        }
        let connections = try (0..<2).map { _ in try database.connect() }
        let first = Task {
            try await onOwnThread { try workers[0].round(connections[0], workers[0].outbox, slackApp: nil, markBegun: { _ in true }) }
        }
        // Generous: the whole suite starting beside it can hold this process up for half a minute.
        _ = try await service.waitForRequests(count: 2, timeout: .seconds(60))
        let second = Task {
            try await onOwnThread { try workers[1].round(connections[1], workers[1].outbox, slackApp: nil, markBegun: { _ in true }) }
        }
        #expect(try await first.value == 2)
        #expect(try await second.value == 2)
        let left = try db.query("SELECT last_error FROM notification_outbox").map { try $0.decode(0, as: String?.self) }
        #expect(left.isEmpty, "jobs left: \(left)")
        #expect(try db.scalar("SELECT count(*) FROM push_subscriptions", as: Int.self) == 0)
    }
}
