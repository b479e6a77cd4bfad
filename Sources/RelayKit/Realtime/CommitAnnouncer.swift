import Foundation
import Logging
import MsgLib
import ServiceLifecycle

/// Tells the other relays that this one committed messages: one NOTIFY at a time, after the commits, however many
/// messages committed meanwhile (each announcement wakes the other relays' sweeps, which read them all), and at most one
/// every `interval`: under load one announcement (one transaction here, one sweep on each other relay) covers the
/// commits of the last 2 ms instead of each batch having its own; at a lower rate each goes at once.
///
/// The insert itself sends no NOTIFY: PostgreSQL holds a database-wide lock from a notifying transaction's commit
/// until its end, which would make every send wait for the others' disk flushes.
///
/// Each announcement is a transaction of its own; `announced` is given its id once it committed, so that this relay's
/// feed counts it as ended without reading a snapshot (it inserted no message).
package final class CommitAnnouncer: Service, Sendable {
    let pool: DatabasePool
    let logger: Logger
    let announced: @Sendable (UInt64) -> Void
    /// The shortest time between the starts of two announcements.
    let interval: Duration
    /// Sent with each announcement, so that this relay's listener can skip its own (its feed is woken directly).
    package let origin = UUID()
    private let pending: AsyncStream<DeliverableMessage>
    private let continuation: AsyncStream<DeliverableMessage>.Continuation

    package init(
        pool: DatabasePool, logger: Logger, interval: Duration = .milliseconds(2), announced: @escaping @Sendable (UInt64) -> Void = { _ in }
    ) {
        self.pool = pool
        self.logger = logger
        self.interval = interval
        self.announced = announced
        // Only the newest message waits: one announcement covers every commit before it.
        (pending, continuation) = AsyncStream.makeStream(of: DeliverableMessage.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for an announcement of `item` (and of everything committed before it).
    package func announce(_ item: DeliverableMessage) {
        continuation.yield(item)
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            for await item in self.pending {
                let started = ContinuousClock.now
                do {
                    self.announced(try await MessagingService.announce(item, origin: self.origin, pool: self.pool))
                } catch {
                    // The other relays' periodic sweep brings the message anyway, a second later at most.
                    self.logger.debug("announcing a message failed", metadata: ["error": "\(error)"])
                }
                // Commits meanwhile wait for the next announcement (only the newest is kept).
                try? await Task.sleep(until: started + self.interval)
            }
        }
    }
}
