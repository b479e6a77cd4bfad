import Foundation
import Synchronization

/// Sends notifications: builds each one's request (encrypted and signed for Web Push, Block Kit for Slack),
/// sends them together, and says what became of each. It never touches the database; the outbox worker
/// (and `POST /api/push/test`, `msgctl push test`, `msgctl slack test`) decide what to do with the outcomes.
public struct Notifier: Sendable {
    public let configuration: NotificationConfiguration
    /// Reaches push services: https only unless insecure endpoints are allowed (tests).
    let pushClient: HTTPClient
    /// Reaches the webhook the admin configured, whatever its scheme, and Slack's Web API, whose answer to a post
    /// repeats the message (text and blocks, beyond ASCII as `\uXXXX`: a long thread reply answers with some 300 KB).
    let slackClient: HTTPClient
    /// The most of a Slack answer read: a post's answer cut short would be taken as unread and the post sent again.
    static let slackAnswerLimit = 2 << 20
    /// Checks and resolves push endpoints, a batch at once with a deadline.
    let resolver: EndpointResolver

    public init(configuration: NotificationConfiguration) {
        self.init(configuration: configuration, resolver: EndpointResolver(policy: configuration.endpoints, timeout: configuration.resolveTimeout))
    }

    /// A notifier whose push endpoints are resolved by `resolver` (tests: names that resolve as they say).
    package init(configuration: NotificationConfiguration, resolver: EndpointResolver) {
        self.configuration = configuration
        pushClient = HTTPClient(policy: configuration.endpoints)
        slackClient = HTTPClient(configuration: .init(allowInsecure: true, maxResponseBodyBytes: Self.slackAnswerLimit))
        self.resolver = resolver
    }

    /// Delivers outbox jobs, concurrently; one outcome per job, in order. Blocks until all are answered.
    /// - Parameter slackApp: the app mode settings for Slack app jobs when the configuration has none of its own
    ///   (those of the stored OAuth installation, see ``NotificationConfiguration/currentSlackApp(_:)``).
    /// - Parameter pushWithin: a shorter bound on push services' lookups and answers (the first attempts', so that a
    ///   service slow to answer holds up the others' for that long at most; it is tried again with the full time).
    ///   Slack's calls keep theirs: a post cut short may have been made, and would be made twice.
    /// - Parameter current: reads the jobs' messages as they stand now (deleted ones included; a message missing is
    ///   gone). It is called once the slow steps before the requests are done (lookups of push endpoints and of earlier
    ///   Slack posts, seconds at worst), so that each notification says what its message says when it leaves, and a
    ///   message deleted meanwhile is not announced. Without it, the jobs' messages as claimed.
    package func send(
        _ jobs: [OutboxJob], slackApp: SlackAppConfiguration? = nil, pushWithin: Duration? = nil,
        current: (([UUID]) throws -> [UUID: Message])? = nil
    ) -> [DeliveryOutcome] {
        var jobs = jobs
        var outcomes = [DeliveryOutcome?](repeating: nil, count: jobs.count)
        var push = Batch()
        var slack = Batch()
        var app = Batch()
        var interpreters: [SlackAppInterpreter] = []
        let addresses = resolve(
            jobs.map { $0.kind == .push && $0.message.deletedAt == nil ? $0.subscription : nil },
            with: pushWithin.map { resolver.within($0) } ?? resolver)
        let earlier = earlierPosts(jobs, app: configuration.slackApp ?? slackApp)
        if let current {
            do {
                let now = try current(Array(Set(jobs.map(\.message.id))))
                for index in jobs.indices {
                    if let message = now[jobs[index].message.id] {
                        jobs[index].message = message
                    } else if jobs[index].message.deletedAt == nil {
                        jobs[index].message.deletedAt = .now()  // purged meanwhile: nothing to announce
                    }
                }
            } catch {
                return jobs.map { _ in .retry("the messages could not be read again before sending: \(error)", retryAfter: nil) }
            }
        }
        for (index, job) in jobs.enumerated() {
            if job.message.deletedAt != nil, job.kind != .slackUpdate {
                outcomes[index] = .moot("the message was deleted before its notification left")
                continue
            }
            if let outcome = earlier[index] {
                outcomes[index] = outcome
                continue
            }
            switch job.kind {
            case .push:
                guard let subscription = job.subscription else {
                    outcomes[index] = .moot("the subscription is gone, or its user may no longer see the conversation")
                    continue
                }
                if let reaction = job.reaction, !reaction.present {
                    outcomes[index] = .moot("the reaction was taken back before its notification left")
                    continue
                }
                // A first attempt leaves whatever the recipient is doing (a socket open shows the message, a phone in a
                // pocket does not); a retry of a new message's notice, once its recipient has read the message, is not news.
                if job.attempts > 0, job.reaction == nil, job.message.readAt != nil {
                    outcomes[index] = .moot("the message was read before its notification left")
                    continue
                }
                let notification = job.reaction.map { PushNotification(reaction: $0, message: job.message) } ?? PushNotification(message: job.message)
                // A retry connects to the name's next address (see ResolvedAddress.forAttempt).
                var prepared = pushRequest(
                    notification, to: subscription, ttl: pushTTL(of: job), at: addresses[index]?.map { $0.forAttempt(job.attempts) })
                if let pushWithin, case .send(var request) = prepared {
                    request.timeout = min(request.timeout, pushWithin)
                    prepared = .send(request)
                }
                push.add(prepared, index: index, outcomes: &outcomes)
            case .slack:
                let notice = SlackNotice(
                    displayName: job.conversationUser.displayName, content: job.message.content, conversationId: job.message.conversationId,
                    adminURLBase: configuration.adminURLBase ?? "", attachmentNames: job.message.attachments.map(\.filename))
                slack.add(slackRequest(notice), index: index, outcomes: &outcomes)
            case .slackPost, .slackUpdate, .slackReaction:
                let (prepared, interpret) = slackAppRequest(job, app: configuration.slackApp ?? slackApp)
                if case .send = prepared { interpreters.append(interpret) }
                app.add(prepared, index: index, outcomes: &outcomes)
            }
        }
        // The groups at once, each but the first on a thread of its own: a push service slow to answer does not hold
        // up Slack's notices (which would then say what the message said that much earlier).
        let answers = Mutex<[Int: DeliveryOutcome]>([:])
        var groups: [@Sendable () -> [(Int, DeliveryOutcome)]] = []
        if !push.requests.isEmpty {
            groups.append { [pushClient, push] in zip(pushClient.send(push.requests), push.indices).map { ($1, .push($0)) } }
        }
        if !slack.requests.isEmpty {
            groups.append { [slackClient, slack] in zip(slackClient.send(slack.requests), slack.indices).map { ($1, .slack($0)) } }
        }
        if !app.requests.isEmpty {
            groups.append { [slackClient, app, interpreters] in
                zip(zip(slackClient.send(app.requests), app.indices), interpreters).map { pair, interpret in (pair.1, interpret(pair.0)) }
            }
        }
        let run: @Sendable (@Sendable () -> [(Int, DeliveryOutcome)]) -> Void = { group in
            let sent = group()
            answers.withLock { for (index, outcome) in sent { $0[index] = outcome } }
        }
        let done = DispatchGroup()
        for group in groups.dropFirst() {
            done.enter()
            Thread.detachNewThread {
                run(group)
                done.leave()
            }
        }
        if let first = groups.first { run(first) }
        done.wait()
        for (index, outcome) in answers.withLock({ $0 }) { outcomes[index] = outcome }
        return outcomes.map { $0 ?? .failed("not sent") }
    }

    /// Reads a Web API answer into the outcome of the job it was sent for.
    private typealias SlackAppInterpreter = @Sendable (Result<HTTPClient.Response, HTTPClientError>) -> DeliveryOutcome

    /// The Web API request of a Slack app job, and how its answer is read: the thread's parent when the
    /// conversation has none yet, a reply in the thread otherwise, or the parent rewritten.
    private func slackAppRequest(_ job: OutboxJob, app: SlackAppConfiguration?) -> (Prepared, SlackAppInterpreter) {
        let none: SlackAppInterpreter = { _ in .failed("not sent") }
        guard let app, let context = job.slack else {
            return (.settled(.failed(ServiceError.slackNotConfigured.message)), none)
        }
        let api = SlackWebAPI(configuration: app)
        var parent = SlackParentMessage(
            conversationId: job.message.conversationId, userName: job.conversationUser.displayName,
            preview: job.message.deletedAt == nil ? job.message.content : nil,
            previewAuthor: job.isFromConversationUser ? nil : context.sender.displayName, unreadCount: context.unreadCount,
            archived: context.archived, adminURLBase: configuration.adminURLBase ?? "")
        if job.message.deletedAt == nil { parent.previewAttachments = job.message.attachments.map(\.filename) }
        let delivered: SlackAppInterpreter = { result in
            switch SlackWebAPI.answer(result) {
            case .success: .delivered
            case .failure(let failure): failure.outcome
            }
        }
        if job.kind == .slackReaction {
            guard let post = context.post else { return (.settled(.moot("the message has no Slack post")), none) }
            guard let reaction = job.reaction, let name = SlackEmojiName.name(forEmoji: reaction.emoji) else {
                return (.settled(.moot("the reaction has no Slack name")), none)
            }
            let request = SlackReactionRequest(post: post, name: name, add: context.reactionWanted)
            return (.send(api.request(request.method, body: request.body)), { SlackReactionRequest.outcome($0) })
        }
        switch (job.kind, context.thread) {
        case (.slackUpdate, nil):
            return (.settled(.moot("the conversation has no Slack thread")), none)
        case (.slackUpdate, let thread?):
            return (.send(api.update(parent.updateBody(channel: thread.channelId, ts: thread.parentTs))), delivered)
        case (_, let thread?):
            let reply = SlackThreadReply(
                senderName: context.sender.displayName, senderIsAdmin: context.sender.isAdmin, content: job.message.content,
                attachmentNames: job.message.attachments.map(\.filename))
            let messageId = job.message.id
            return (
                .send(api.postMessage(reply.postBody(in: thread, messageId: messageId))),
                { result in
                    switch SlackWebAPI.answer(result) {
                    case .failure(let failure): return failure.outcome
                    case .success(let answer):
                        // A reply whose ts is unusable is still delivered; reactions on it just cannot be mirrored.
                        guard let ts = answer.ts, SlackWebAPI.isIdentifier(ts) else { return .delivered }
                        let channel = answer.channel.flatMap { SlackWebAPI.isIdentifier($0) ? $0 : nil } ?? thread.channelId
                        return .posted(SlackMessagePost(messageId: messageId, channelId: channel, ts: ts))
                    }
                }
            )
        case (_, nil):
            let message = job.message
            let channel = app.channelId
            return (
                .send(api.postMessage(parent.postBody(channel: channel, messageId: message.id))),
                { result in
                    switch SlackWebAPI.answer(result) {
                    case .failure(let failure): return failure.outcome
                    case .success(let answer):
                        guard let ts = answer.ts, SlackWebAPI.isIdentifier(ts) else { return .failed("Slack answered ok without a usable ts") }
                        let posted = answer.channel.flatMap { SlackWebAPI.isIdentifier($0) ? $0 : nil } ?? channel
                        return .threadStarted(
                            SlackThread(
                                conversationId: message.conversationId, channelId: posted, threadTs: ts, parentTs: ts, parentMessageId: message.id))
                    }
                }
            )
        }
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
        let addresses = resolve(subscriptions, with: resolver)
        for (index, subscription) in subscriptions.enumerated() {
            push.add(pushRequest(notification, to: subscription, ttl: configuration.pushTTL, at: addresses[index]), index: index, outcomes: &outcomes)
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

    /// Posts a test message to the app mode channel now (outside the outbox), with `slackApp` when the
    /// configuration has no app mode settings of its own.
    package func sendSlackAppTest(slackApp: SlackAppConfiguration? = nil) -> DeliveryOutcome {
        guard let app = configuration.slackApp ?? slackApp else { return .failed(ServiceError.slackNotConfigured.message) }
        let api = SlackWebAPI(configuration: app)
        let reply = SlackThreadReply(senderName: "msgctl", senderIsAdmin: false, content: "Test message: Slack app mode works.")
        switch SlackWebAPI.answer(slackClient.send([api.postMessage(reply.postBody(channel: app.channelId))])[0]) {
        case .success: return .delivered
        case .failure(let failure): return failure.outcome
        }
    }

    /// The checked address of each subscription's endpoint (nil where there is none to send to), all
    /// resolved at once.
    private func resolve(_ subscriptions: [PushSubscription?], with resolver: EndpointResolver) -> [Result<ResolvedAddress, EndpointError>?] {
        let wanted = subscriptions.enumerated().compactMap { index, subscription in subscription.map { (index, $0.endpoint) } }
        var addresses = [Result<ResolvedAddress, EndpointError>?](repeating: nil, count: subscriptions.count)
        guard configuration.vapid != nil, !wanted.isEmpty else { return addresses }
        for ((index, _), address) in zip(wanted, resolver.resolve(wanted.map(\.1))) { addresses[index] = address }
        return addresses
    }

    /// The `TTL` a job's push goes with: `PUSH_TTL_SECONDS`, but no longer than the job has left before it is given up
    /// (`OUTBOX_MAX_AGE_SECONDS` from its creation): a retry that succeeds late does not let the push service hold the
    /// notification for another whole day.
    func pushTTL(of job: OutboxJob, now: Timestamp = .now()) -> Int {
        let left = RetryPolicy.seconds(configuration.maxAge) - now.seconds(since: job.createdAt)
        return max(0, min(configuration.pushTTL, Int(left.rounded(.up))))
    }

    private func pushRequest(
        _ notification: PushNotification, to subscription: PushSubscription, ttl: Int, at resolved: Result<ResolvedAddress, EndpointError>?
    ) -> Prepared {
        guard let signer = configuration.vapid, let resolved else {
            return .settled(.failed(ServiceError.pushNotConfigured.message))
        }
        let address: ResolvedAddress
        do {
            address = try resolved.get()
        } catch {
            // A name that does not resolve now may resolve later. One that resolves to an address that is not allowed (a
            // name pointed at a private network) makes the subscription useless: it goes, as one the service says is gone,
            // instead of adding a job given up to every message.
            if error.kind == .unresolvable { return .settled(.retry(error.message, retryAfter: nil)) }
            if error.kind == .refusedAddress { return .settled(.gone(error.message)) }
            return .settled(.failed(error.message))
        }
        do {
            return .send(try notification.request(to: subscription, signer: signer, ttl: ttl, address: address))
        } catch {
            return .settled(.failed("cannot encrypt for this subscription: \(error)"))
        }
    }

    private func slackRequest(_ notice: SlackNotice) -> Prepared {
        guard let url = configuration.slackWebhookURL else {
            return .settled(.failed(ServiceError.slackNotConfigured.message))
        }
        // On a connection of its own: libcurl sends a request again by itself when a reused connection closes before
        // the answer, and a webhook's notice cannot be looked up to tell.
        var request = notice.request(to: url)
        request.freshConnection = true
        return .send(request)
    }
}
