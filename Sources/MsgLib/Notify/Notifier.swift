import Foundation

/// Sends notifications: builds each one's request (encrypted and signed for Web Push, Block Kit for Slack),
/// sends them together, and says what became of each. It never touches the database; the outbox worker
/// (and `POST /api/push/test`, `msgctl push test`, `msgctl slack test`) decide what to do with the outcomes.
public struct Notifier: Sendable {
    public let configuration: NotificationConfiguration
    /// Reaches push services: https only unless insecure endpoints are allowed (tests).
    let pushClient: HTTPClient
    /// Reaches the webhook the admin configured, whatever its scheme.
    let slackClient: HTTPClient
    /// Checks and resolves push endpoints, a batch at once with a deadline.
    let resolver: EndpointResolver

    public init(configuration: NotificationConfiguration) {
        self.configuration = configuration
        pushClient = HTTPClient(policy: configuration.endpoints)
        slackClient = HTTPClient(configuration: .init(allowInsecure: true))
        resolver = EndpointResolver(policy: configuration.endpoints, timeout: configuration.resolveTimeout)
    }

    /// Delivers outbox jobs, concurrently; one outcome per job, in order. Blocks until all are answered.
    package func send(_ jobs: [OutboxJob]) -> [DeliveryOutcome] {
        var outcomes = [DeliveryOutcome?](repeating: nil, count: jobs.count)
        var push = Batch()
        var slack = Batch()
        let addresses = resolve(jobs.map { $0.kind == .push && $0.message.deletedAt == nil ? $0.subscription : nil })
        for (index, job) in jobs.enumerated() {
            if job.message.deletedAt != nil {
                outcomes[index] = .moot("the message was deleted before its notification left")
                continue
            }
            switch job.kind {
            case .push:
                guard let subscription = job.subscription else {
                    outcomes[index] = .moot("the subscription is gone")
                    continue
                }
                push.add(
                    pushRequest(PushNotification(message: job.message), to: subscription, at: addresses[index]), index: index, outcomes: &outcomes)
            case .slack:
                let notice = SlackNotice(
                    displayName: job.conversationUser.displayName, content: job.message.content, conversationId: job.message.conversationId,
                    adminURLBase: configuration.adminURLBase ?? "", attachmentNames: job.message.attachments.map(\.filename))
                slack.add(slackRequest(notice), index: index, outcomes: &outcomes)
            }
        }
        for (result, index) in zip(pushClient.send(push.requests), push.indices) { outcomes[index] = .push(result) }
        for (result, index) in zip(slackClient.send(slack.requests), slack.indices) { outcomes[index] = .slack(result) }
        return outcomes.map { $0 ?? .failed("not sent") }
    }

    /// Requests to send together, and the position of each one's job.
    private struct Batch {
        var requests: [HTTPClient.Request] = []
        var indices: [Int] = []

        mutating func add(_ prepared: Prepared, index: Int, outcomes: inout [DeliveryOutcome?]) {
            switch prepared {
            case .send(let request):
                requests.append(request)
                indices.append(index)
            case .settled(let outcome):
                outcomes[index] = outcome
            }
        }
    }

    /// A request ready to go, or an outcome known without sending anything.
    private enum Prepared {
        case send(HTTPClient.Request)
        case settled(DeliveryOutcome)
    }

    /// Sends `notification` to each subscription now (outside the outbox); one outcome per subscription.
    package func sendPush(_ notification: PushNotification, to subscriptions: [PushSubscription]) -> [DeliveryOutcome] {
        var outcomes = [DeliveryOutcome?](repeating: nil, count: subscriptions.count)
        var push = Batch()
        let addresses = resolve(subscriptions)
        for (index, subscription) in subscriptions.enumerated() {
            push.add(pushRequest(notification, to: subscription, at: addresses[index]), index: index, outcomes: &outcomes)
        }
        for (result, index) in zip(pushClient.send(push.requests), push.indices) { outcomes[index] = .push(result) }
        return outcomes.map { $0 ?? .failed("not sent") }
    }

    /// Sends a Slack notice now (outside the outbox).
    package func sendSlack(_ notice: SlackNotice) -> DeliveryOutcome {
        switch slackRequest(notice) {
        case .send(let request): .slack(slackClient.send([request])[0])
        case .settled(let outcome): outcome
        }
    }

    /// The checked address of each subscription's endpoint (nil where there is none to send to), all
    /// resolved at once.
    private func resolve(_ subscriptions: [PushSubscription?]) -> [Result<ResolvedAddress, EndpointError>?] {
        let wanted = subscriptions.enumerated().compactMap { index, subscription in subscription.map { (index, $0.endpoint) } }
        var addresses = [Result<ResolvedAddress, EndpointError>?](repeating: nil, count: subscriptions.count)
        guard configuration.vapid != nil, !wanted.isEmpty else { return addresses }
        for ((index, _), address) in zip(wanted, resolver.resolve(wanted.map(\.1))) { addresses[index] = address }
        return addresses
    }

    private func pushRequest(
        _ notification: PushNotification, to subscription: PushSubscription, at resolved: Result<ResolvedAddress, EndpointError>?
    ) -> Prepared {
        guard let signer = configuration.vapid, let resolved else {
            return .settled(.failed(ServiceError.pushNotConfigured.message))
        }
        let address: ResolvedAddress
        do {
            address = try resolved.get()
        } catch {
            // A name that does not resolve now may resolve later; an address that is not allowed never will be.
            if error.kind == .unresolvable { return .settled(.retry(error.message, retryAfter: nil)) }
            return .settled(.failed(error.message))
        }
        do {
            return .send(try notification.request(to: subscription, signer: signer, ttl: configuration.pushTTL, address: address))
        } catch {
            return .settled(.failed("cannot encrypt for this subscription: \(error)"))
        }
    }

    private func slackRequest(_ notice: SlackNotice) -> Prepared {
        guard let url = configuration.slackWebhookURL else {
            return .settled(.failed(ServiceError.slackNotConfigured.message))
        }
        return .send(notice.request(to: url))
    }
}
