import Foundation
import Logging
import MsgLib
import ServiceLifecycle
import Synchronization

/// Follows the messages table in commit order and hands the hub one batch per snapshot: the messages visible in
/// the new snapshot and not in the last one (``CommitSnapshot``). Whatever order ids were made and transactions
/// committed in, each committed message is in exactly one batch.
///
/// A sweep runs when woken (this relay committed a message, a NOTIFY arrived from another writer) and at least every
/// ``interval`` (writers that announce nothing, a lost notification). A failed sweep is retried with backoff from the
/// same snapshot, so an outage delays messages but loses none.
package final class CommitFeed: Service, Sendable {
    let service: MessagingService
    let hub: Hub
    let logger: Logger
    /// The longest time between sweeps.
    let interval: Duration

    private struct State {
        /// Sweeps begun, counted from 1; a waiter's ticket is the first sweep to begin after it asked.
        var begun = 0
        var waiters: [(ticket: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var stopped = false
        /// A sweep is running (on the feed's task or on a committing connection); `again`: one more was asked for.
        var busy = false
        var again = false

        /// Takes the right to sweep; when someone holds it, asks them to sweep once more instead.
        mutating func claim() -> Bool {
            if busy {
                again = true
                return false
            }
            busy = true
            again = false
            return true
        }

        /// Gives the right back, unless another sweep was asked for meanwhile (then the holder sweeps again).
        mutating func release() -> Bool {
            if again {
                again = false
                return true
            }
            busy = false
            return false
        }

        /// Gives the right back after a failure: whoever asked for another sweep is served by the retry.
        mutating func abandon() {
            busy = false
            again = false
        }

        mutating func begin() -> Int {
            begun += 1
            return begun
        }
    }

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

    private let state = Mutex(State())
    private let wakeups: Wakeups

    package init(service: MessagingService, hub: Hub, wakeups: Wakeups = Wakeups(), logger: Logger, interval: Duration = .seconds(1)) {
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
    /// may be ahead of this one), at most `timeout`: after a failover that reused transaction ids it never will.
    package func waitUntilCovers(_ snapshot: CommitSnapshot, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while let frontier = hub.frontier, !frontier.covers(snapshot), ContinuousClock.now < deadline {
            await sweep()
            if state.withLock({ $0.stopped }) { return }
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
            for waiter in waiters { waiter.continuation.resume() }
        }
        try? await cancelWhenGracefulShutdown {
            try await self.start()
            var backoff = Backoff()
            for await _ in self.wakeups.stream {
                guard self.state.withLock({ $0.claim() }) else { continue }
                var failure: (any Error)?
                repeat {
                    let ticket = self.state.withLock { $0.begin() }
                    do {
                        try await self.sweepOnce()
                        backoff.reset()
                        self.finished(ticket)
                    } catch {
                        failure = error
                    }
                } while failure == nil && self.state.withLock({ $0.release() })
                if let failure {
                    self.state.withLock { $0.abandon() }
                    if Task.isCancelled { return }
                    let delay = backoff.next()
                    self.logger.warning("reading committed messages failed; retrying", metadata: ["error": "\(failure)", "retry_in": "\(delay)"])
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

    /// Sweeps on `db`, the connection that just committed a message, right away: no task or thread to wake, so the
    /// message leaves sooner. When a sweep is running already, it goes round once more instead. A failure leaves the
    /// sweep to the feed's task (woken), which retries.
    package func sweepInline(on db: PostgresConnection) {
        guard state.withLock({ $0.claim() }) else { return }
        repeat {
            let ticket = state.withLock { $0.begin() }
            guard let frontier = hub.frontier else {
                // Not started yet: the feed's first snapshot comes after this commit, so there is nothing to read.
                state.withLock { $0.abandon() }
                return
            }
            do {
                let (snapshot, messages) = try MessagingService.committedMessages(on: db, since: frontier)
                hub.publish(messages, from: frontier, to: snapshot)
                finished(ticket)
            } catch {
                state.withLock { $0.abandon() }
                wake()
                return
            }
        } while state.withLock({ $0.release() })
    }

    private func sweepOnce() async throws {
        guard let frontier = hub.frontier else { return }
        let (snapshot, messages) = try await service.committedMessages(since: frontier)
        hub.publish(messages, from: frontier, to: snapshot)
    }

    private func finished(_ ticket: Int) {
        let ready = state.withLock { state in
            let ready = state.waiters.filter { $0.ticket <= ticket }
            state.waiters.removeAll { $0.ticket <= ticket }
            return ready
        }
        for waiter in ready { waiter.continuation.resume() }
    }
}
