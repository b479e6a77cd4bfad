import Foundation
import Logging
import TestSupport
import Testing

@testable import MsgLib
@testable import RelayKit

/// A push subscription whose endpoint's name resolves to an address that is not public (a name pointed at a private
/// network) is removed at its first notification, as one the push service says is gone: it would never work, and each
/// message would leave one more job given up (and `msgctl doctor` failing).
@Suite(.needsDatabase) struct OutboxRefusedAddressTests {
    @Test func aSubscriptionWhoseNameResolvesInsideIsRemoved() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        var subscriptions: [UUID] = []
        for name in ["inside.example.com", "gone-for-now.example.com"] {
            let browser = PushBrowser(endpoint: "https://\(name)/push")
            subscriptions.append(
                try db.scalar(
                    "INSERT INTO push_subscriptions (user_id, endpoint, p256dh_key, auth_key) VALUES ($1, $2, $3, $4) RETURNING id",
                    [f.admin.id, browser.endpoint, Base64URL.encode(browser.key.publicKey.uncompressedPoint), Base64URL.encode(browser.auth)],
                    as: UUID.self))
        }
        let message = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "hello")
        for subscription in subscriptions {
            try db.query("INSERT INTO notification_outbox (kind, message_id, subscription_id) VALUES ('push', $1, $2)", [message.id, subscription])
        }
        var variables = PushEnvironment.variables.compactMapValues { $0 }
        variables["PUSH_ALLOW_INSECURE_ENDPOINTS"] = nil
        let configuration = try NotificationConfiguration.fromEnvironment(variables)
        let resolver = EndpointResolver(policy: configuration.endpoints, timeout: .seconds(2)) { host, _ throws(EndpointError) in
            guard host == "inside.example.com" else { throw EndpointError(.unresolvable, "no answer for \(host)") }
            return [IPAddress(ipv4: "10.1.2.3")!]
        }
        let notifier = Notifier(configuration: configuration, resolver: resolver)
        let worker = OutboxWorker(conninfo: database.conninfo, notifier: notifier, logger: Logger(label: "test"))
        let connection = try database.connect()
        #expect(try await onOwnThread { try worker.round(connection, worker.outbox, slackApp: nil, markBegun: { _ in true }) } == 2)
        // The one inside is gone with its job; the one that did not resolve waits for a retry, kept.
        #expect(try db.query("SELECT id FROM push_subscriptions").map { try $0.decode(0, as: UUID.self) } == [subscriptions[1]])
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox WHERE failed_at IS NULL AND attempts = 1", as: Int.self) == 1)
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 1)
    }
}
