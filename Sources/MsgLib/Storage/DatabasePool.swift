import NIOPosix
import Synchronization

/// A bounded pool of ``PostgresConnection``s for async code.
///
/// Every libpq call runs on a thread of the pool's own `NIOThreadPool` (one thread per connection), so a
/// slow query never blocks an event loop or Swift's cooperative threads. Connections open lazily; one the
/// server dropped (restart, failover) is noticed when it is next lent and opened again, so the pool recovers
/// by itself once the server is back. Callers beyond the pool's size wait their turn, first come first served;
/// a caller whose task is cancelled while it waits stops waiting at once and gets a `CancellationError`, and one that
/// waited ``DatabaseConfiguration/poolTimeout`` gets a ``DatabaseError`` `.unavailable` with a `retryAfter`.
///
/// The decisions are ``PoolStateMachine``'s; this class keeps it behind a lock and carries out its actions
/// (resuming callers, opening and closing connections) after the lock is released.
public final class DatabasePool: Sendable {
    /// Counts for monitoring.
    public struct Statistics: Sendable, Equatable {
        public var size: Int
        public var open: Int
        public var inUse: Int
        public var waiting: Int
    }

    typealias Waiter = CheckedContinuation<PostgresConnection, any Error>
    typealias Machine = PoolStateMachine<PostgresConnection, Waiter>

    public let configuration: DatabaseConfiguration
    private let threads: NIOThreadPool
    private let state: Mutex<Machine>
    /// The id of the last acquire, so that a cancellation finds its own waiter.
    private let lastWaiterID = Atomic<UInt64>(0)

    /// Creates a pool; no connection is opened until one is needed.
    public init(configuration: DatabaseConfiguration) {
        self.configuration = configuration
        self.threads = NIOThreadPool(numberOfThreads: max(1, configuration.poolSize))
        self.state = Mutex(Machine(size: configuration.poolSize))
        threads.start()
    }

    /// Lends a connection to `body`, which runs on a pool thread and may block.
    ///
    /// A transaction left open by `body` is rolled back before the connection goes back to the pool.
    /// - Throws: what `body` throws, ``DatabaseError`` `.unavailable` when no connection can be opened, none came free
    ///   within the pool timeout, or the pool is shut down, or `CancellationError` when the task is cancelled while it
    ///   waits for a connection.
    package func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await threads.runIfActive {
                defer { connection.abandonTransaction() }
                try connection.ensureConnected()
                return try body(connection)
            }
            release(connection)
            return value
        } catch {
            release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a pooled connection.
    package func withTransaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withConnection { connection in
            try connection.transaction { try body(connection) }
        }
    }

    /// Runs `body` in a transaction on a pooled connection, then `committed` with its result and the connection on
    /// the same thread right after the commit, before the caller resumes.
    package func withCommittedTransaction<T: Sendable>(
        then committed: @escaping @Sendable (T, PostgresConnection) -> Void, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            let value = try connection.transaction { try body(connection) }
            committed(value, connection)
            return value
        }
    }

    /// Current counts.
    public var statistics: Statistics {
        let counts = state.withLock { $0.statistics }
        return Statistics(size: counts.size, open: counts.open, inUse: counts.inUse, waiting: counts.waiting)
    }

    /// Closes every idle connection and stops the threads. Calls after this fail with `.unavailable`; connections
    /// still lent are closed when they come back.
    public func shutdown() async {
        let action = state.withLock { $0.shutdown() }
        for waiter in action.fail { waiter.resume(throwing: Self.error(.shutDown)) }
        for connection in action.close { connection.close() }
        try? await threads.shutdownGracefully()
    }

    /// Takes a connection: an idle one, a new one, or the next one returned after the callers already waiting.
    ///
    /// Cancellation: `onCancel` removes exactly this acquire's waiter from the queue and fails it. When it runs before
    /// the waiter is enqueued, it finds nothing, but then the task is already marked cancelled (that happens before
    /// cancellation handlers run), and `acquire` reads `Task.isCancelled` under the same lock, so the caller fails
    /// instead of waiting. A waiter is removed from the queue under the lock by exactly one of release, cancel, timeout
    /// and shutdown, and resumed once by whoever removed it; a connection handed over just before a cancellation is
    /// used by the caller and comes back through ``release(_:)`` as usual.
    ///
    /// Deadline: an enqueued caller gets a timer task that, after ``DatabaseConfiguration/poolTimeout``, removes its
    /// waiter the same way (under the lock, so it is either served or timed out, never both); the timer is cancelled
    /// as soon as the acquire ends.
    private func acquire() async throws -> PostgresConnection {
        let id = Machine.WaiterID(lastWaiterID.wrappingAdd(1, ordering: .relaxed).newValue)
        var timer: Task<Void, Never>?
        defer { timer?.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let action = state.withLock { $0.acquire(id, continuation, isCancelled: Task.isCancelled) }
                switch action {
                case .lend(let connection):
                    continuation.resume(returning: connection)
                case .create:
                    let connection = PostgresConnection(
                        conninfo: configuration.conninfo, applicationName: configuration.applicationName,
                        statementTimeout: configuration.statementTimeout, settings: configuration.settings, overrides: configuration.overrides,
                        connectTimeout: configuration.connectTimeout)
                    continuation.resume(returning: connection)
                case .enqueued:
                    if let timeout = configuration.poolTimeout {
                        timer = Task { [self] in
                            try? await Task.sleep(for: timeout)
                            if !Task.isCancelled { timeOut(id, after: timeout) }
                        }
                    }
                case .fail(let failure):
                    continuation.resume(throwing: Self.error(failure))
                }
            }
        } onCancel: {
            let action = state.withLock { $0.cancelWaiter(id) }
            if case .fail(let waiter) = action { waiter.resume(throwing: CancellationError()) }
        }
    }

    /// Fails acquire `id` if it is still waiting.
    private func timeOut(_ id: Machine.WaiterID, after timeout: Duration) {
        let action = state.withLock { $0.timeOutWaiter(id) }
        if case .fail(let waiter) = action {
            let message = "no database connection free within \(Self.seconds(timeout))"
            waiter.resume(throwing: DatabaseError(.unavailable, message: message, retryAfter: 1))
        }
    }

    /// "10 s", "0.5 s".
    private static func seconds(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }

    /// Gives a connection back: to the first waiter, to the idle list, or closed when the pool is shut down.
    private func release(_ connection: PostgresConnection) {
        let action = state.withLock { $0.release(connection) }
        switch action {
        case .handOver(let connection, let waiter):
            waiter.resume(returning: connection)
        case .park:
            break
        case .close(let connection):
            connection.close()
        }
    }

    private static func error(_ failure: Machine.Failure) -> any Error {
        switch failure {
        case .shutDown: DatabaseError(.unavailable, message: "the connection pool is shut down")
        case .cancelled: CancellationError()
        }
    }
}
