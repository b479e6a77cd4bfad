import NIOPosix
import Synchronization

/// A bounded pool of ``PostgresConnection``s for async code.
///
/// Every libpq call runs on a thread of the pool's own `NIOThreadPool` (one thread per connection), so a
/// slow query never blocks an event loop or Swift's cooperative threads. Connections open lazily; one the
/// server dropped (restart, failover) is noticed when it is next lent and opened again, so the pool recovers
/// by itself once the server is back. Callers beyond the pool's size wait their turn, first come first served.
public final class DatabasePool: Sendable {
    /// Counts for monitoring.
    public struct Statistics: Sendable, Equatable {
        public var size: Int
        public var open: Int
        public var inUse: Int
        public var waiting: Int
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var created = 0
        var inUse = 0
        var waiters: [CheckedContinuation<PostgresConnection, any Error>] = []
        var closed = false
    }

    public let configuration: DatabaseConfiguration
    private let threads: NIOThreadPool
    private let state = Mutex(State())

    /// Creates a pool; no connection is opened until one is needed.
    public init(configuration: DatabaseConfiguration) {
        self.configuration = configuration
        self.threads = NIOThreadPool(numberOfThreads: max(1, configuration.poolSize))
        threads.start()
    }

    /// Lends a connection to `body`, which runs on a pool thread and may block.
    ///
    /// A transaction left open by `body` is rolled back before the connection goes back to the pool.
    /// - Throws: what `body` throws, or ``DatabaseError`` `.unavailable` when no connection can be opened.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
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
    public func withTransaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withConnection { connection in
            try connection.transaction { try body(connection) }
        }
    }

    /// Runs `body` in a transaction on a pooled connection, then `committed` with its result on the same thread
    /// right after the commit, before the caller resumes.
    public func withCommittedTransaction<T: Sendable>(
        then committed: @escaping @Sendable (T) -> Void, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            let value = try connection.transaction { try body(connection) }
            committed(value)
            return value
        }
    }

    /// Current counts.
    public var statistics: Statistics {
        state.withLock { s in
            Statistics(size: configuration.poolSize, open: s.created, inUse: s.inUse, waiting: s.waiters.count)
        }
    }

    /// Closes every idle connection and stops the threads. Calls after this fail with `.unavailable`.
    public func shutdown() async {
        let (idle, waiters) = state.withLock { s in
            s.closed = true
            defer {
                s.idle = []
                s.waiters = []
            }
            return (s.idle, s.waiters)
        }
        for waiter in waiters { waiter.resume(throwing: DatabaseError(.unavailable, message: "the connection pool is shut down")) }
        for connection in idle { connection.close() }
        try? await threads.shutdownGracefully()
    }

    private func acquire() async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PostgresConnection, any Error>) in
            let result: Result<PostgresConnection, DatabaseError>? = state.withLock { s in
                if s.closed { return .failure(DatabaseError(.unavailable, message: "the connection pool is shut down")) }
                if let connection = s.idle.popLast() {
                    s.inUse += 1
                    return .success(connection)
                }
                if s.created < configuration.poolSize {
                    s.created += 1
                    s.inUse += 1
                    return .success(PostgresConnection(conninfo: configuration.conninfo, applicationName: configuration.applicationName))
                }
                s.waiters.append(continuation)
                return nil
            }
            if let result { continuation.resume(with: result) }
        }
    }

    private func release(_ connection: PostgresConnection) {
        let waiter: CheckedContinuation<PostgresConnection, any Error>? = state.withLock { s in
            if !s.waiters.isEmpty { return s.waiters.removeFirst() }
            s.inUse -= 1
            if s.closed {
                connection.close()
            } else {
                s.idle.append(connection)
            }
            return nil
        }
        waiter?.resume(returning: connection)
    }
}
