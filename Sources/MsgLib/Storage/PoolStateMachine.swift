/// The decisions of a bounded connection pool, without any I/O: events in, actions out.
///
/// ``DatabasePool`` keeps one of these behind a lock and carries out the actions it returns (resuming continuations,
/// opening and closing connections) after releasing the lock. `Connection` is what is lent; `Waiter` is what a caller
/// waiting for a connection is resumed through (a continuation in the pool, a plain value in tests).
///
/// - Connections open lazily, up to `size`; `open` counts the live ones (lent or idle).
/// - An idle connection is lent before a new one is opened; the most recently returned one first (LIFO).
/// - Callers beyond the pool's size wait, and are served first come, first served (FIFO).
/// - A waiter that is cancelled leaves the queue at once and is failed with ``Failure/cancelled``; one whose deadline
///   passed leaves it the same way (``timeOutWaiter(_:)``), and the pool fails it with a timeout.
/// - After ``shutdown()`` every acquire fails and every returned connection is closed.
struct PoolStateMachine<Connection, Waiter> {
    /// Names one acquire, so that its cancellation can find it in the queue; unique among pending acquires.
    struct WaiterID: Hashable, Sendable, CustomStringConvertible {
        var value: UInt64

        init(_ value: UInt64) { self.value = value }

        var description: String { "waiter \(value)" }
    }

    /// Why an acquire or a waiter fails.
    enum Failure: Sendable, Equatable {
        /// The pool is shut down.
        case shutDown
        /// The waiting task was cancelled.
        case cancelled
    }

    /// What to do with an acquire.
    enum AcquireAction {
        /// Hand this idle connection to the caller.
        case lend(Connection)
        /// Open a new connection and hand it to the caller (it already counts toward the size).
        case create
        /// The caller now waits in the queue under this id; a ``release(_:)``, ``cancelWaiter(_:)``, ``timeOutWaiter(_:)`` or
        /// ``shutdown()`` resumes it.
        case enqueued(WaiterID)
        /// Fail the caller.
        case fail(Failure)
    }

    /// What to do with a returned connection.
    enum ReleaseAction {
        /// Resume this waiter with the connection (it stays in use).
        case handOver(Connection, to: Waiter)
        /// Nothing: the connection is idle in the pool now.
        case park
        /// Close the connection: the pool is shut down (it no longer counts as open).
        case close(Connection)
    }

    /// What to do with a cancelled or timed-out acquire.
    enum CancelAction {
        /// Resume this waiter with ``Failure/cancelled`` (or a timeout): it has left the queue.
        case fail(Waiter)
        /// Nothing: the acquire was not waiting (served already, failed already, or not enqueued yet).
        case none
    }

    /// What to do on shutdown.
    struct ShutdownAction {
        /// Idle connections to close.
        var close: [Connection]
        /// Waiters to resume with ``Failure/shutDown``, in queue order.
        var fail: [Waiter]
    }

    /// Counts for monitoring.
    struct Statistics: Sendable, Equatable {
        var size: Int
        var open: Int
        var inUse: Int
        var waiting: Int
    }

    /// The most connections open at once.
    let size: Int
    private var idle: [Connection] = []
    /// Live connections: lent or idle.
    private(set) var created = 0
    private(set) var inUse = 0
    private var waiters: [(id: WaiterID, waiter: Waiter)] = []
    private(set) var isShutDown = false

    init(size: Int) {
        self.size = size
    }

    /// Idle connections.
    var idleCount: Int { idle.count }

    /// Waiting callers.
    var waitingCount: Int { waiters.count }

    /// The ids of the waiting callers, first to be served first.
    var waitingIDs: [WaiterID] { waiters.map(\.id) }

    var statistics: Statistics {
        Statistics(size: size, open: created, inUse: inUse, waiting: waiters.count)
    }

    /// A caller wants a connection; `waiter` is kept only when it must wait.
    ///
    /// `isCancelled` says whether the calling task is already cancelled: read it under the same lock as this call, so a
    /// cancellation that ran before the waiter could be enqueued is not missed. A cancelled caller still gets a
    /// connection that is free at once (as before); it only never waits.
    mutating func acquire(_ id: WaiterID, _ waiter: Waiter, isCancelled: Bool = false) -> AcquireAction {
        if isShutDown { return .fail(.shutDown) }
        if let connection = idle.popLast() {
            inUse += 1
            return .lend(connection)
        }
        if created < size {
            created += 1
            inUse += 1
            return .create
        }
        if isCancelled { return .fail(.cancelled) }
        waiters.append((id, waiter))
        return .enqueued(id)
    }

    /// A lent connection comes back.
    mutating func release(_ connection: Connection) -> ReleaseAction {
        precondition(inUse > 0, "a connection was released that was not lent")
        if !waiters.isEmpty {
            let next = waiters.removeFirst()
            return .handOver(connection, to: next.waiter)
        }
        inUse -= 1
        if isShutDown {
            created -= 1
            return .close(connection)
        }
        idle.append(connection)
        return .park
    }

    /// The task behind acquire `id` was cancelled.
    mutating func cancelWaiter(_ id: WaiterID) -> CancelAction {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return .none }
        return .fail(waiters.remove(at: index).waiter)
    }

    /// Acquire `id` waited as long as it may: it leaves the queue, unless it was served or failed already.
    mutating func timeOutWaiter(_ id: WaiterID) -> CancelAction {
        cancelWaiter(id)
    }

    /// The pool shuts down: idle connections are to be closed and waiters failed; connections still lent are closed
    /// when they come back. A second call returns nothing.
    mutating func shutdown() -> ShutdownAction {
        isShutDown = true
        let action = ShutdownAction(close: idle, fail: waiters.map(\.waiter))
        created -= idle.count
        idle = []
        waiters = []
        return action
    }
}

extension PoolStateMachine.AcquireAction: Sendable where Connection: Sendable {}
extension PoolStateMachine.ReleaseAction: Sendable where Connection: Sendable, Waiter: Sendable {}
extension PoolStateMachine.CancelAction: Sendable where Waiter: Sendable {}
extension PoolStateMachine.ShutdownAction: Sendable where Connection: Sendable, Waiter: Sendable {}
