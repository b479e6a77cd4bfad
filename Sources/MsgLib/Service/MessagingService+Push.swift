import Foundation
import NIOPosix

/// The result of a test push to one subscription.
public struct PushTestResult: Sendable, Equatable {
    public var subscription: PushSubscription
    public var outcome: DeliveryOutcome
}

extension MessagingService {
    /// Saves `viewer`'s browser subscription (an endpoint of theirs already known gets the new keys). A user keeps
    /// at most ``NotificationConfiguration/maxSubscriptionsPerUser``: a new one beyond replaces their least recently
    /// used.
    /// - Throws: `.invalid` for an endpoint that is not an allowed https URL or keys that are not valid; `.conflict`
    ///   for an endpoint another user registered; `.rateLimited` beyond
    ///   ``NotificationConfiguration/subscribeRateLimitPerHour`` calls an hour (refused calls count too).
    public func subscribePush(viewer: User, endpoint given: String, p256dh: String, auth: String) async throws -> PushSubscription {
        try Self.requireNoNul(given, "The endpoint")
        let endpoint: String
        do {
            endpoint = try notifications.endpoints.check(url: given).canonical
            try PushSubscriptionKeys.validate(p256dh: p256dh, auth: auth)
        } catch let error as EndpointError {
            throw ServiceError(.invalid, error.message)
        } catch let error as PushKeyError {
            throw ServiceError(.invalid, error.message)
        }
        let limits = notifications
        return try await pool.withConnection { db in
            if limits.subscribeRateLimitPerHour > 0 {
                try RateLimiter.take(
                    db, user: viewer.id, window: .pushSubscribe(perHour: limits.subscribeRateLimitPerHour),
                    counting: ("subscription", "subscriptions"))
            }
            let saved = try db.transaction {
                try PushSubscriptionRepository.upsert(
                    db, userId: viewer.id, endpoint: endpoint, p256dh: p256dh, auth: auth, limit: limits.maxSubscriptionsPerUser)
            }
            guard let saved else { throw ServiceError.endpointTaken }
            return saved
        }
    }

    /// Removes `viewer`'s subscription at `endpoint`; false when they had none there.
    public func unsubscribePush(viewer: User, endpoint: String) async throws -> Bool {
        try Self.requireNoNul(endpoint, "The endpoint")
        // As it was stored: in its one spelling (one stored before that rule, as given).
        let spellings = Array(Set([endpoint, (try? notifications.endpoints.check(url: endpoint))?.canonical].compactMap { $0 }))
        return try await pool.withConnection { db in
            var removed = false
            for spelling in spellings where try PushSubscriptionRepository.delete(db, userId: viewer.id, endpoint: spelling) { removed = true }
            return removed
        }
    }

    /// Sends a test notification to every subscription of `user` now, outside the outbox. Subscriptions the push
    /// service says are gone are deleted.
    /// - Parameter rateLimited: whether the call counts against ``NotificationConfiguration/testRateLimitPerHour``
    ///   (`POST /api/push/test`; not `msgctl push test`).
    /// - Throws: `.unavailable` when VAPID keys are not configured; `.rateLimited` beyond the limit.
    public func testPush(user: User, rateLimited: Bool = false) async throws -> [PushTestResult] {
        guard notifications.vapid != nil else { throw ServiceError.pushNotConfigured }
        let limit = rateLimited ? notifications.testRateLimitPerHour : 0
        let subscriptions = try await pool.withConnection { db in
            if limit > 0 {
                try RateLimiter.take(db, user: user.id, window: .pushTest(perHour: limit), counting: ("test notification", "test notifications"))
            }
            return try PushSubscriptionRepository.list(db, userId: user.id)
        }
        let notifier = self.notifier
        let outcomes = try await Self.testThreads.runIfActive { notifier.sendPush(.test, to: subscriptions) }
        let results = zip(subscriptions, outcomes).map { PushTestResult(subscription: $0, outcome: $1) }
        try await pool.withConnection { db in
            for result in results {
                if case .gone = result.outcome { _ = try PushSubscriptionRepository.delete(db, id: result.subscription.id) }
            }
            let delivered = results.filter { if case .delivered = $0.outcome { true } else { false } }
            try PushSubscriptionRepository.touch(db, ids: delivered.map(\.subscription.id))
        }
        return results
    }

    /// The VAPID public key browsers subscribe with (`applicationServerKey`), base64url.
    /// - Throws: `.unavailable` when VAPID keys are not configured.
    public func vapidPublicKey() throws -> String {
        guard let signer = notifications.vapid else { throw ServiceError.pushNotConfigured }
        return signer.keys.publicKeyBase64URL
    }

    /// Sends a test message now: to the channel with `chat.postMessage` in app mode, otherwise to the webhook.
    /// - Throws: `.unavailable` when neither is configured.
    public func testSlack() async throws -> DeliveryOutcome {
        let notifier = self.notifier
        let notifications = self.notifications
        if let app = try await pool.withConnection({ db in try notifications.currentSlackApp(db) }) {
            return try await Self.testThreads.runIfActive { notifier.sendSlackAppTest(slackApp: app) }
        }
        guard notifications.slackWebhookURL != nil, let base = notifications.adminURLBase else {
            throw ServiceError.slackNotConfigured
        }
        return try await Self.testThreads.runIfActive { notifier.sendSlack(.test(adminURLBase: base)) }
    }

    /// Threads for test notifications, which wait on push services and Slack (up to 15 s, for the name and the send):
    /// of their own, so that tests to endpoints that never answer (a user may register ten) hold up other tests, not
    /// the threads the relay reads and writes local files with.
    static let testThreads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()
}
