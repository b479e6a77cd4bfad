import Foundation
import NIOPosix

/// The result of a test push to one subscription.
public struct PushTestResult: Sendable, Equatable {
    public var subscription: PushSubscription
    public var outcome: DeliveryOutcome
}

extension MessagingService {
    /// Saves `viewer`'s browser subscription (an endpoint already known is moved to `viewer` with the new keys).
    /// - Throws: `.invalid` for an endpoint that is not an allowed https URL or keys that are not valid.
    public func subscribePush(viewer: User, endpoint: String, p256dh: String, auth: String) async throws -> PushSubscription {
        try Self.requireNoNul(endpoint, "The endpoint")
        do {
            _ = try notifications.endpoints.check(url: endpoint)
            try PushSubscriptionKeys.validate(p256dh: p256dh, auth: auth)
        } catch let error as EndpointError {
            throw ServiceError(.invalid, error.message)
        } catch let error as PushKeyError {
            throw ServiceError(.invalid, error.message)
        }
        return try await pool.withConnection { db in
            try PushSubscriptionRepository.upsert(db, userId: viewer.id, endpoint: endpoint, p256dh: p256dh, auth: auth)
        }
    }

    /// Removes `viewer`'s subscription at `endpoint`; false when they had none there.
    public func unsubscribePush(viewer: User, endpoint: String) async throws -> Bool {
        try Self.requireNoNul(endpoint, "The endpoint")
        return try await pool.withConnection { db in try PushSubscriptionRepository.delete(db, userId: viewer.id, endpoint: endpoint) }
    }

    /// Sends a test notification to every subscription of `user` now, outside the outbox. Subscriptions the push
    /// service says are gone are deleted.
    /// - Throws: `.unavailable` when VAPID keys are not configured.
    public func testPush(user: User) async throws -> [PushTestResult] {
        guard notifications.vapid != nil else { throw ServiceError.pushNotConfigured }
        let subscriptions = try await pool.withConnection { db in try PushSubscriptionRepository.list(db, userId: user.id) }
        let notifier = self.notifier
        let outcomes = try await NIOThreadPool.singleton.runIfActive { notifier.sendPush(.test, to: subscriptions) }
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

    /// Sends a test notice to the Slack webhook now.
    /// - Throws: `.unavailable` when no webhook is configured.
    public func testSlack() async throws -> DeliveryOutcome {
        guard notifications.slackWebhookURL != nil, let base = notifications.adminURLBase else {
            throw ServiceError.slackNotConfigured
        }
        let notifier = self.notifier
        return try await NIOThreadPool.singleton.runIfActive { notifier.sendSlack(.test(adminURLBase: base)) }
    }
}
