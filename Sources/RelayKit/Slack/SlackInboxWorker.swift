import Logging
import MsgLib
import ServiceLifecycle

/// Handles the Events API events waiting in the Slack inbox, off the request path: each event in a transaction of its
/// own, claimed with `FOR UPDATE SKIP LOCKED`, so several relays share the work and an event is handled once
/// (``MessagingService/handleNextSlackEvent()``).
///
/// It works through the due events when ``wake()`` is called (an event was just stored) and every ``interval``
/// (events stored by another relay, events due again after a failure); once an hour it deletes events handled more
/// than a day ago.
package final class SlackInboxWorker: Service, Sendable {
    let service: MessagingService
    let logger: Logger
    let interval: Duration
    /// How long handled events are kept, so that a late retry of Slack's still finds its event id.
    let retention: Double
    /// Counts the replies from Slack turned into messages.
    let metrics: MessageMetrics?
    private let wakeups = CommitFeed.Wakeups()

    package init(
        service: MessagingService, logger: Logger, interval: Duration = .seconds(2), retention: Double = 86_400, metrics: MessageMetrics? = nil
    ) {
        self.metrics = metrics
        self.service = service
        self.logger = logger
        self.interval = interval
        self.retention = retention
    }

    /// Looks at the inbox soon (wake-ups while it works coalesce into one more round).
    package func wake() { wakeups.wake() }

    package func run() async throws {
        let ticker = Task { [wakeups, interval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                wakeups.wake()
            }
        }
        defer { ticker.cancel() }
        try? await cancelWhenGracefulShutdown {
            var backoff = Backoff()
            var lastPrune = ContinuousClock.now - .seconds(3600)
            for await _ in self.wakeups.stream {
                do {
                    try await self.round()
                    if ContinuousClock.now - lastPrune >= .seconds(3600) {
                        lastPrune = ContinuousClock.now
                        let pruned = try await self.service.pruneSlackInbox(olderThan: self.retention)
                        if pruned > 0 { self.logger.info("old Slack events deleted", metadata: ["count": "\(pruned)"]) }
                    }
                    backoff.reset()
                } catch {
                    if Task.isCancelled { return }
                    let delay = backoff.next()
                    self.logger.warning("handling Slack events failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                    try await Task.sleep(for: .seconds(delay))
                    self.wake()
                }
            }
        }
    }

    /// Handles due events until none is left.
    func round() async throws {
        while !Task.isCancelled {
            switch try await service.handleNextSlackEvent() {
            case .idle:
                return
            case .delivered(let message):
                metrics?.created(.slack)
                logger.info(
                    "Slack reply delivered", metadata: ["message": "\(message.message.id)", "conversation": "\(message.message.conversationId)"])
            case .reacted(let messageId):
                logger.info("Slack reaction taken", metadata: ["message": "\(messageId)"])
            case .ignored(let reason):
                logger.debug("Slack event ignored", metadata: ["reason": "\(reason)"])
            case .deferred(let reason):
                logger.warning("Slack event deferred", metadata: ["reason": "\(reason)"])
            case .waiting(let reason):
                logger.debug("Slack event waits for what it refers to", metadata: ["reason": "\(reason)"])
            }
        }
    }
}
