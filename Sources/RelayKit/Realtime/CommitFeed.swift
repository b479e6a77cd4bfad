import Foundation
import Logging
import MsgLib
import ServiceLifecycle
import Synchronization

/// Follows the messages table in commit order and hands the hub one batch per snapshot: the messages visible in
/// the new snapshot and not in the last one (``CommitSnapshot``). Whatever order ids were made and transactions
/// committed in, each committed message is in exactly one batch.
///
/// The messages this relay commits itself are handed over right after their commit, usually without a query
/// (``deliverCommitted(_:)``). A sweep runs when woken (a NOTIFY arrived from another writer, a resume waits for a
/// cursor) and at least every ``interval`` (writers that announce nothing, a lost notification). A failed sweep is
/// retried with backoff from the same snapshot, so an outage delays messages but loses none. One delivery runs at a
/// time (``CommitFeedState``).
///
/// The messages a snapshot brings that this relay did not commit (msgctl's, another relay's) are counted through
/// `onOtherWriters`: the feed remembers the transactions it committed lately (``ownCapacity`` of them). A snapshot read
/// in the instant between one of this relay's commits and its hand-over may count that transaction as another's.
package final class CommitFeed: Service, Sendable {
    let service: MessagingService
    let hub: Hub
    let logger: Logger
    /// The longest time between sweeps.
    let interval: Duration
    /// Called for each snapshot read.
    let onSnapshot: @Sendable () -> Void
    /// Called with the messages another process committed (their sources read), for each snapshot that brings some.
    let onOtherWriters: @Sendable ([DeliverableMessage]) -> Void
    /// Transactions this relay committed lately, to tell its messages from other writers' in a snapshot.
    private let own = Mutex(RecentIDs<UInt64>(capacity: CommitFeed.ownCapacity))
    /// How many of this relay's transactions the feed remembers.
    static let ownCapacity = 4096
    /// The most messages (and, apart, reaction changes) one sweep reads: beyond, the relay skips the batch and every
    /// socket resumes from its cursor (``Hub/skip(to:closing:)``).
    static let catchUpLimit = 10_000

    /// Requests for a sweep; made before the feed, so the service that commits messages can wake it.
    package struct Wakeups: Sendable {
        let stream: AsyncStream<Void>
        let continuation: AsyncStream<Void>.Continuation

        package init() {
            (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        }

        /// Asks for a sweep soon (requests while one runs coalesce into one more).
        package func wake() { continuation.yield() }
    }

    private let state = Mutex(CommitFeedState<CheckedContinuation<Void, Never>>())
    /// The clock of the oldest message (or reaction change) the last sweep found committed but ahead of its snapshot's
    /// clock: it goes out with the first sweep whose clock passes it, so a frontier moved on without a sweep stays
    /// behind it. Unknown until the first sweep and after a failed one (`Int64.min`, which every clock passes: the
    /// relay's next own commit sweeps). Only the holder of the right to deliver reads and writes it.
    private let waiting = Mutex<Int64?>(Int64.min)
    private let wakeups: Wakeups

    package init(
        service: MessagingService, hub: Hub, wakeups: Wakeups = Wakeups(), logger: Logger, interval: Duration = .seconds(1),
        onSnapshot: @escaping @Sendable () -> Void = {}, onOtherWriters: @escaping @Sendable ([DeliverableMessage]) -> Void = { _ in }
    ) {
        self.onSnapshot = onSnapshot
        self.onOtherWriters = onOtherWriters
        self.service = service
        self.hub = hub
        self.wakeups = wakeups
        self.logger = logger
        self.interval = interval
    }

    /// Asks for a sweep soon (requests while one runs coalesce into one more).
    package func wake() {
        wakeups.wake()
    }

    /// Returns once a sweep that began after this call has finished (or the feed stopped): every message committed
    /// before the call has then been handed to the hub.
    package func sweep() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if state.stopped { return true }
                state.waiters.append((state.begun + 1, continuation))
                return false
            }
            if resumeNow { continuation.resume() } else { wake() }
        }
    }

    /// Waits until the hub follows commits, at most `timeout`; false when it does not (the database is unreachable).
    package func waitUntilStarted(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while hub.frontier == nil {
            if ContinuousClock.now >= deadline || state.withLock({ $0.stopped }) { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Waits until the hub's frontier shows everything `snapshot` shows (a client's cursor from another relay, which
    /// may be ahead of this one), at most `timeout`. One sweep is asked for: once a sweep that began after the call
    /// has finished, the frontier shows every transaction committed before it, so a cursor it does not cover claims
    /// transactions this database never committed (after a failover that reused transaction ids, or a forged one),
    /// and waiting longer would only sweep again.
    package func waitUntilCovers(_ snapshot: CommitSnapshot, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        let ticket = state.withLock { $0.begun + 1 }
        guard let frontier = hub.frontier, !frontier.covers(snapshot) else { return }
        wake()
        // Polled, not awaited: the database may not allow a sweep in time.
        while let frontier = hub.frontier, !frontier.covers(snapshot), ContinuousClock.now < deadline {
            if state.withLock({ $0.stopped || $0.lastFinished >= ticket }) { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    package func run() async throws {
        let ticker = Task { [wakeups, interval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                wakeups.wake()
            }
        }
        defer {
            ticker.cancel()
            let waiters = state.withLock { state in
                state.stopped = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for (_, waiter) in waiters { waiter.resume() }
        }
        try? await cancelWhenGracefulShutdown {
            try await self.start()
            var backoff = Backoff()
            for await _ in self.wakeups.stream {
                do {
                    // The right to deliver is taken with a connection in hand, so that it is always given back; when
                    // someone holds it, they sweep before they let go.
                    try await self.service.pool.withConnection { db in
                        if self.state.withLock({ $0.requestSweep() }) { try self.deliver(sweepingOn: db) }
                    }
                    backoff.reset()
                } catch {
                    if Task.isCancelled { return }
                    let delay = backoff.next()
                    self.logger.warning("reading committed messages failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                    try await Task.sleep(for: .seconds(delay))
                    self.wake()
                }
            }
        }
    }

    /// Takes the first snapshot, retrying until the database answers: the relay delivers what commits after it.
    private func start() async throws {
        var backoff = Backoff()
        while true {
            do {
                hub.start(at: try await service.currentSnapshot())
                return
            } catch {
                let delay = backoff.next()
                logger.warning("cannot read the database's snapshot; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                try await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// Transactions that may count as in progress in a frontier moved on without a snapshot (see
    /// ``deliverCommitted(_:)``); beyond that, a snapshot is read.
    static let maxUnsettled = 16

    /// Delivers `messages`, every message of one transaction this relay just committed, right away on the caller's
    /// thread: no task or thread to wake, no query. When another delivery is under way, its holder delivers them before
    /// it lets go; when a snapshot must be read, the feed's task reads it (on its own connection: the committing one
    /// goes on writing).
    package func deliverCommitted(_ messages: [DeliverableMessage]) {
        guard let txid = messages.first?.txid else { return wake() }
        own.withLock { $0.insert(txid) }
        deliverHere(.init(txid: txid, messages: messages))
    }

    /// Counts transaction `txid`, which this relay committed and which inserted no message (an announcement), as ended,
    /// so that the frontier moves past it without a snapshot.
    package func committedWithoutMessages(_ txid: UInt64) {
        deliverHere(.init(txid: txid, messages: []))
    }

    /// Leaves `transaction` for delivery and, when no delivery is under way, delivers on the caller's thread without a
    /// query (which is why nothing can throw).
    private func deliverHere(_ transaction: CommitFeedState<CheckedContinuation<Void, Never>>.Committed) {
        guard state.withLock({ $0.add(transaction) }) else { return }
        try? deliver(sweepingOn: nil)
    }

    /// Delivers what was left for the holder until nothing is; the caller holds the right to deliver, and gives it back
    /// here. A transaction this relay committed moves the frontier on by itself, without a query, when few other
    /// transactions began since (``CommitSnapshot/adding(committed:newestMillis:maxInProgress:)``: the next snapshot
    /// settles them); otherwise, and when a sweep was asked for, a snapshot is read on `db`. Without `db` (a committing
    /// thread), the snapshot is left to the feed's task.
    private func deliver(sweepingOn db: PostgresConnection?) throws {
        while case .deliver(let committed, var sweep) = state.withLock({ $0.next() }) {
            guard var frontier = hub.frontier else {
                // Not started yet: the feed's first snapshot comes after these commits, so there is nothing to deliver.
                state.withLock { $0.letGo(sweepWanted: false) }
                return
            }
            if !sweep {
                // A message a sweep left waiting for the clock: the snapshot read below sends it once it is due.
                let waitingMillis = waiting.withLock { $0 }
                for transaction in committed.sorted(by: { $0.txid < $1.txid }) {
                    // Each transaction at most once: a snapshot that shows its messages delivered them.
                    let delivered =
                        transaction.messages.isEmpty
                        ? frontier.shows(transaction: transaction.txid)
                        : transaction.messages.allSatisfy { frontier.shows(txid: transaction.txid, id: $0.message.id) }
                    if delivered { continue }
                    let newest = transaction.messages.map(\.message.id.v7Millis).max() ?? 0
                    // A conversation's earlier commits go first: when one is not delivered yet, the snapshot brings both.
                    let ordered = transaction.messages.allSatisfy { $0.after.map(frontier.shows(transaction:)) ?? true }
                    // A transaction id the frontier counts as committed, with messages it does not show, was given out
                    // again after a failover: the snapshot's clock tells (see CommitSnapshot).
                    let reused = frontier.shows(transaction: transaction.txid)
                    guard ordered, !reused,
                        let next = frontier.adding(committed: transaction.txid, newestMillis: newest, maxInProgress: Self.maxUnsettled),
                        !(waitingMillis.map(next.showsClock) ?? false)
                    else {
                        // The snapshot read below shows this transaction and the rest (all committed before it is taken).
                        sweep = true
                        break
                    }
                    hub.publish(transaction.messages.sorted { UUID.precedes($0.message.id, $1.message.id) }, from: frontier, to: next)
                    frontier = next
                }
            }
            guard sweep else { continue }
            guard let db else {
                state.withLock { $0.letGo(sweepWanted: true) }
                wake()
                return
            }
            onSnapshot()
            let ticket = state.withLock { $0.begin() }
            do {
                let (snapshot, messages, waitingMillis) = try MessagingService.committedMessages(on: db, since: frontier, limit: Self.catchUpLimit)
                // Read after the snapshot: a message whose reactions changed again since goes out with the next batch.
                guard let messages,
                    let (reactions, reactionsWaiting) = try MessagingService.committedReactionChanges(
                        on: db, since: frontier, upTo: snapshot, limit: Self.catchUpLimit)
                else {
                    // Too much at once (the relay was cut off from the database): every socket resumes from its cursor.
                    logger.warning(
                        "more than \(Self.catchUpLimit) changes committed since the last batch; every socket is closed to resume",
                        metadata: ["sockets": "\(hub.connectionCount)"])
                    hub.skip(to: snapshot, closing: Self.fellBehind)
                    waiting.withLock { $0 = Int64.min }
                    finished(ticket)
                    continue
                }
                hub.publish(messages, reactions: reactions, from: frontier, to: snapshot)
                waiting.withLock { $0 = [waitingMillis, reactionsWaiting].compactMap { $0 }.min() }
                let others = own.withLock { own in messages.filter { $0.txid.map { !own.contains($0) } ?? true } }
                if !others.isEmpty { onOtherWriters(others) }
            } catch {
                // The server may have changed (a failover that gives out transaction ids again): until a sweep reads
                // it, the relay's own commits sweep too.
                waiting.withLock { $0 = Int64.min }
                state.withLock { $0.letGo(sweepWanted: true) }
                throw error
            }
            finished(ticket)
        }
    }

    /// How sockets are closed when a batch is larger than ``catchUpLimit``: 1013, try again later (the client resumes
    /// from its cursor, and its replay reads what it lacks a page at a time).
    static let fellBehind = ClientConnection.CloseReason.refused(1013, "Too many messages at once; reconnect and resume")

    private func finished(_ ticket: Int) {
        let ready = state.withLock { $0.finished(ticket) }
        for (_, waiter) in ready { waiter.resume() }
    }
}
