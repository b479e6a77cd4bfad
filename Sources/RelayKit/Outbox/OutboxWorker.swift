import Foundation
import Logging
import MsgLib
import ServiceLifecycle
import Synchronization

/// Sends the notifications waiting in the outbox, off the request path, on a thread and a database connection
/// of its own (kept by a ``ReconnectingLoop``).
///
/// Each round claims up to a batch of due jobs with `FOR NO KEY UPDATE SKIP LOCKED` (several relays share the work and
/// never hold one job at once), sends them concurrently, records each outcome, and commits. The row locks last
/// while the requests are in flight, so a relay that dies mid-round releases its jobs at once for another relay
/// (or itself, restarted) to send. Failed attempts are retried with exponential backoff and jitter, never
/// sooner than a `Retry-After`, until ``NotificationConfiguration/maxAge`` has passed; then the job is given
/// up with the reason. The worker sleeps until the next job is due or ``wake()`` is called.
///
/// Every outcome is counted in ``NotificationMetrics`` once its round commits, and the outbox's backlog is read for
/// the metrics at most every ``backlogInterval`` seconds, on the worker's connection.
package final class OutboxWorker: Service, Sendable {
    let conninfo: String
    let notifier: Notifier
    let logger: Logger
    let kinds: [OutboxJob.Kind]
    let outbox: NotificationOutbox
    let retryPolicy: RetryPolicy
    /// Longest sleep between two looks at the outbox when nothing wakes the worker.
    let idleWait: Double
    /// Where outcomes and the backlog are counted.
    let metrics: NotificationMetrics?
    /// Seconds between two readings of the backlog.
    let backlogInterval: Double
    private let worker: ReconnectingLoop
    /// How long a round waits for push services (first attempts: ``firstAttemptPushLimit``; retries: their own timeout).
    let pushWithin: Duration?
    /// What a first attempt may take for a push service's lookup and answer: one slow to answer (or a hostile one)
    /// holds up the other first attempts of its round that long at most, and is tried again in the retries' lane.
    static let firstAttemptPushLimit = Duration.seconds(3)
    /// Seconds before another look when the jobs due are all in another relay's round (which lasts as long as the
    /// services it waits on take to answer).
    static let othersRoundWait: Double = 0.5

    /// - Parameters:
    ///   - conninfo: the database (the worker opens a connection of its own).
    ///   - notifier: sends; its configuration says which kinds of job this relay can deliver.
    ///   - metrics: counts outcomes and shows the backlog.
    ///   - lane: first attempts, retries or both: a relay runs a worker for each of the first two.
    package init(
        conninfo: String, notifier: Notifier, logger: Logger, lane: OutboxLane = .all, idleWait: Double = 5, metrics: NotificationMetrics? = nil,
        backlogInterval: Double = 5
    ) {
        self.metrics = metrics
        self.backlogInterval = backlogInterval
        self.conninfo = conninfo
        self.notifier = notifier
        self.logger = logger
        self.kinds = notifier.configuration.sendableKinds
        self.outbox = NotificationOutbox(kinds: kinds, lane: lane)
        self.pushWithin = lane == .firstAttempts ? Self.firstAttemptPushLimit : nil
        self.worker = ReconnectingLoop(name: Self.name(of: lane))
        self.retryPolicy = RetryPolicy(base: notifier.configuration.retryBase, maximum: notifier.configuration.maxRetryDelay)
        self.idleWait = idleWait
    }

    /// The worker's thread and its connection's `application_name`.
    private static func name(of lane: OutboxLane) -> String {
        lane == .retries ? "msgrelay-outbox-retries" : "msgrelay-outbox"
    }

    /// Looks at the outbox now (a message was just committed).
    package func wake() { worker.wake() }

    /// The worker of the other lane, woken after each of this one's rounds: a first attempt that failed is due in the
    /// retries' lane, and a delivered retry may let a conversation's next Slack job go in the first attempts' lane.
    private let partner = Mutex<OutboxWorker?>(nil)

    /// Pairs the workers of the two lanes (each wakes the other after a round that claimed jobs).
    package static func pair(_ first: OutboxWorker, _ second: OutboxWorker) {
        first.partner.withLock { $0 = second }
        second.partner.withLock { $0 = first }
    }

    package func run() async throws {
        guard !kinds.isEmpty else {
            if outbox.lane != .retries { logger.info("notifications off: neither VAPID keys nor a Slack webhook are configured") }
            try? await gracefulShutdown()
            return
        }
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                worker.start { [self] in
                    self.loop()
                    done.resume()
                }
            }
        } onGracefulShutdown: {
            self.worker.stop()
        }
    }

    /// The worker thread: rounds until stopped; sleeps until the next job is due, ``wake()`` or stop.
    private func loop() {
        var lastBacklogRead = -Double.infinity
        // The connection on which rounds record the Slack posts they begin (``OutboxRepository/markBegun(_:ids:)``),
        // opened when first needed and again after a failure.
        var marks: PostgresConnection?
        defer { marks?.close() }
        func markBegun(_ ids: [Int64]) -> Bool {
            do {
                if marks == nil {
                    let db = PostgresConnection(
                        conninfo: conninfo, applicationName: Self.name(of: outbox.lane), statementTimeout: .seconds(5),
                        settings: PostgresConnection.serverTCPSettings)
                    try db.connect()
                    marks = db
                }
                try OutboxRepository.markBegun(marks!, ids: ids)
                return true
            } catch {
                marks?.close()
                marks = nil
                logger.warning("Slack posts could not be marked as begun; tried again later", metadata: ["error": "\(error)"])
                return false
            }
        }
        worker.run(
            connect: { () throws -> PostgresConnection in
                // Its rounds hold their jobs' row locks while they wait on push services and Slack: a relay host that
                // vanishes mid-round releases them once the server drops the connection (about 30 s). A server that ends
                // sessions idle in a transaction would release them mid-request, and the jobs, never recorded, would go
                // out again at every round: not on this connection.
                let db = PostgresConnection(
                    conninfo: conninfo, applicationName: Self.name(of: outbox.lane),
                    settings: PostgresConnection.serverTCPSettings.merging(["idle_in_transaction_session_timeout": "0"]) { own, _ in own })
                try db.connect()
                do {
                    // In case the relay could not record it at start-up.
                    _ = try notifier.configuration.recordAppMode(db)
                } catch {
                    db.close()
                    throw error
                }
                return db
            },
            close: { db in db.close() },
            onFailure: { error in
                logger.warning("outbox worker lost its database connection; retrying", metadata: ["error": "\(error)"])
            },
            body: { db in
                // App mode may come from the stored installation: read for each round, so a new install is used at
                // once; one this relay cannot open (another SLACK_TOKEN_KEY) leaves its jobs to the relays that can.
                let slackApp = notifier.configuration.slackAppFromInstallation ? try notifier.configuration.currentSlackApp(db) : nil
                let claiming = notifier.configuration.slackAppFromInstallation && slackApp == nil ? outbox.withoutSlackApp : outbox
                let claimed = try round(db, claiming, slackApp: slackApp, markBegun: markBegun)
                if let metrics, outbox.lane != .retries, ProcessInfo.processInfo.systemUptime - lastBacklogRead >= backlogInterval {
                    metrics.backlog(try outbox.backlog(db))
                    lastBacklogRead = ProcessInfo.processInfo.systemUptime
                }
                if claimed >= notifier.configuration.batchSize { return }
                var due = try claiming.secondsUntilNextDue(db)
                if let next = due, next <= 0 {
                    // Due jobs this round did not claim are another relay's round (locked until it ends): look again
                    // in a while, not at once.
                    if claimed > 0 { return }
                    due = Self.othersRoundWait
                }
                worker.wait(seconds: min(due ?? idleWait, idleWait, metrics == nil ? idleWait : backlogInterval))
            })
    }

    /// One round: claim, send, record. Returns the number of jobs claimed.
    ///
    /// One job's outcome never undoes the others': when the database refuses to record one, the round goes back
    /// to before the outcomes and records them one by one, each in a savepoint, and a job whose outcome still
    /// cannot be recorded waits the longest retry delay (otherwise every notification of the round would be sent
    /// again, round after round).
    ///
    /// Slack posts are marked as begun before they leave, outside the round (`markBegun`, true when it could): a post
    /// that cannot be marked is not sent in this round but tried again later.
    /// - Parameters:
    ///   - claiming: what is claimed (this relay's kinds, less those it cannot send now).
    ///   - slackApp: app mode from the stored installation, read for this round.
    func round(
        _ db: PostgresConnection, _ claiming: NotificationOutbox, slackApp: SlackAppConfiguration?, markBegun: ([Int64]) -> Bool
    ) throws -> Int {
        var counted: [(OutboxJob.Kind, NotificationMetrics.Outcome)] = []
        var gone: Set<UUID> = []
        let claimed = try db.transaction {
            counted = []
            gone = []
            let jobs = try claiming.claimDue(db, limit: notifier.configuration.batchSize)
            guard !jobs.isEmpty else { return 0 }
            // A job past the maximum age is given up unsent, tried or not: after relays were down or unable to send
            // its kind for a day, notifications that old are not news.
            let unsent = Set(jobs.filter(isExpired).map(\.id))
            let stale = jobs.filter { unsent.contains($0.id) }.map { ($0, DeliveryOutcome.retry("not sent in time", retryAfter: nil)) }
            let unmarked = jobs.filter { !unsent.contains($0.id) && $0.kind == .slackPost && $0.attempts == 0 && !$0.begun }.map(\.id)
            let held = unmarked.isEmpty || markBegun(unmarked) ? [] : Set(unmarked)
            let due = jobs.filter { !unsent.contains($0.id) && !held.contains($0.id) }
            let waiting = jobs.filter { held.contains($0.id) }.map {
                ($0, DeliveryOutcome.retry("could not be marked as begun before it left", retryAfter: nil))
            }
            // The messages are read again on this connection once the requests are about to leave (an edit or a
            // deletion meanwhile is what the notification says).
            let sent = notifier.send(due, slackApp: slackApp, pushWithin: pushWithin) { ids in try MessageRepository.find(db, ids: ids) }
            let results = stale + waiting + Array(zip(due, sent))
            try db.execute("SAVEPOINT outcomes")
            do {
                counted = try record(results, db, gone: &gone, unsent: unsent)
            } catch let error as DatabaseError where db.isAlive {
                logger.warning("an outcome could not be recorded; recording them one by one", metadata: ["error": "\(error)"])
                try db.execute("ROLLBACK TO SAVEPOINT outcomes")
                gone = []
                for result in results { counted += try recordAlone(result, db, gone: &gone, unsent: unsent) }
            }
            return jobs.count
        }
        for (kind, outcome) in counted { metrics?.record(kind, outcome) }
        removeSubscriptions(gone, db)
        if claimed > 0 { partner.withLock { $0 }?.wake() }
        return claimed
    }

    /// Removes the subscriptions push services said are gone, once the round's jobs are released: a removal takes the
    /// subscription's other jobs with it, which another relay's round may hold, and that round may be removing another
    /// subscription of this round's jobs (two expired browsers of one user): inside the rounds, each would wait for
    /// the other. Each in a short transaction of its own, waiting 2 s at most for such a round; one not removed now is
    /// removed at its next 404 or 410.
    private func removeSubscriptions(_ ids: Set<UUID>, _ db: PostgresConnection) {
        for id in ids {
            do {
                try db.transaction {
                    try db.setLocal([("lock_timeout", "2s")])
                    try outbox.removeSubscription(db, id: id)
                }
                logger.info("push subscription removed", metadata: ["subscription": "\(id)"])
            } catch {
                logger.warning("a gone push subscription could not be removed now", metadata: ["subscription": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// Records one job's outcome in a savepoint of its own; when the database refuses it, the job waits the
    /// longest retry delay, with a reason that says so.
    private func recordAlone(
        _ result: (OutboxJob, DeliveryOutcome), _ db: PostgresConnection, gone: inout Set<UUID>, unsent: Set<Int64>
    ) throws -> [(OutboxJob.Kind, NotificationMetrics.Outcome)] {
        try db.execute("SAVEPOINT outcome")
        do {
            let counted = try record([result], db, gone: &gone, unsent: unsent)
            try db.execute("RELEASE SAVEPOINT outcome")
            return counted
        } catch let error as DatabaseError where db.isAlive {
            try db.execute("ROLLBACK TO SAVEPOINT outcome")
            let job = result.0
            let delay = RetryPolicy.seconds(notifier.configuration.maxRetryDelay)
            try outbox.retry(db, job: job.id, in: delay, error: "its outcome could not be recorded (\(error.kind)); retried later")
            logger.error("notification outcome not recorded", metadata: ["job": "\(job.id)", "error": "\(error)"])
            return [(job.kind, .retried)]
        }
    }

    /// Records what became of each job (those in `unsent` were given up without an attempt in this round); returns each
    /// job's outcome as the metrics count it.
    private func record(
        _ results: [(OutboxJob, DeliveryOutcome)], _ db: PostgresConnection, gone: inout Set<UUID>, unsent: Set<Int64> = []
    ) throws -> [(OutboxJob.Kind, NotificationMetrics.Outcome)] {
        var done: [Int64] = []
        var used: [UUID] = []
        var counted: [(OutboxJob.Kind, NotificationMetrics.Outcome)] = []
        // The retries of jobs not given up: their Retry-Afters may hold their kinds.
        var retried: [(kind: OutboxJob.Kind, outcome: DeliveryOutcome)] = []
        for (job, outcome) in results {
            counted.append((job.kind, NotificationMetrics.Outcome(outcome, expired: outcome.isRetry && isExpired(job))))
            switch outcome {
            case .delivered:
                done.append(job.id)
                if let subscription = job.subscription { used.append(subscription.id) }
                // A message of the conversation's user in a thread changes the unread count its parent shows.
                if job.kind == .slackPost, let slack = job.slack, slack.thread != nil, job.isFromConversationUser {
                    try outbox.refreshSlackParent(db, conversationId: job.message.conversationId)
                }
            case .threadStarted(let thread):
                try outbox.recordThread(db, thread)
                try outbox.recordPost(
                    db, SlackMessagePost(messageId: thread.parentMessageId, channelId: thread.channelId, ts: thread.parentTs))
                done.append(job.id)
            case .posted(let post):
                try outbox.recordPost(db, post)
                if job.slack != nil, job.isFromConversationUser {
                    try outbox.refreshSlackParent(db, conversationId: job.message.conversationId)
                }
                done.append(job.id)
            case .moot:
                done.append(job.id)
            case .gone(let reason):
                if let subscription = job.subscription {
                    // Removed once the round has committed (see removeSubscriptions).
                    gone.insert(subscription.id)
                    logger.info("push subscription gone", metadata: ["subscription": "\(subscription.id)", "reason": "\(reason)"])
                }
                done.append(job.id)
            case .retry(let reason, let retryAfter):
                let age = Timestamp.now().seconds(since: job.createdAt)
                if isExpired(job) {
                    let why =
                        unsent.contains(job.id)
                        ? "given up unsent, \(Int(age)) s after it was queued (past the maximum age), after \(job.attempts) attempts"
                        : "gave up after \(job.attempts + 1) attempts over \(Int(age)) s; last: \(reason)"
                    try outbox.fail(db, job: job.id, error: why)
                    logger.warning("notification given up", metadata: ["job": "\(job.id)", "kind": "\(job.kind.rawValue)", "reason": "\(why)"])
                } else {
                    retried.append((job.kind, outcome))
                    let delay = retryPolicy.delay(afterAttempt: job.attempts + 1, retryAfter: retryAfter)
                    try outbox.retry(db, job: job.id, in: delay, error: reason)
                    logger.info(
                        "notification will be retried",
                        metadata: [
                            "job": "\(job.id)", "kind": "\(job.kind.rawValue)", "in_seconds": "\(Int(delay.rounded(.up)))", "reason": "\(reason)",
                        ])
                }
            case .failed(let reason):
                try outbox.fail(db, job: job.id, error: reason)
                logger.error("notification failed", metadata: ["job": "\(job.id)", "kind": "\(job.kind.rawValue)", "reason": "\(reason)"])
            }
        }
        try outbox.finish(db, done: done, used: used)
        for (kind, seconds) in SlackHolds.asked(retried, policy: retryPolicy).sorted(by: { $0.key.rawValue < $1.key.rawValue }) where seconds > 0 {
            try outbox.hold(db, kind: kind, seconds: seconds)
            logger.warning("Slack asked to wait: its jobs of this kind are held", metadata: ["kind": "\(kind.rawValue)", "seconds": "\(seconds)"])
        }
        return counted
    }

    /// True when `job` is older than ``NotificationConfiguration/maxAge``: it is given up (unsent when it is so at its claim).
    private func isExpired(_ job: OutboxJob) -> Bool {
        Timestamp.now().seconds(since: job.createdAt) >= RetryPolicy.seconds(notifier.configuration.maxAge)
    }
}

extension NotificationMetrics.Outcome {
    /// How `outcome` counts; a retry of an `expired` job is a job given up.
    init(_ outcome: DeliveryOutcome, expired: Bool) {
        switch outcome {
        case .delivered, .threadStarted, .posted: self = .sent
        case .moot: self = .moot
        case .gone: self = .gone
        case .retry: self = expired ? .givenUp : .retried
        case .failed: self = .failed
        }
    }
}

extension DeliveryOutcome {
    /// True for a failure to try again.
    fileprivate var isRetry: Bool {
        if case .retry = self { true } else { false }
    }
}
