import Foundation
import Synchronization

/// A blocking loop on a thread of its own that keeps a connection open until it is stopped.
///
/// ``run(connect:close:onFailure:body:)`` connects, then calls `body` with the connection over and over. When either
/// throws, the connection is closed, `onFailure` is told, and the loop waits (0.1 s, doubling after each further
/// failure up to 5 s, see ``Backoff``) before it connects again; a `body` that returns resets the backoff.
/// ``stop()`` ends the loop: at once when it waits (backoff or ``wait(seconds:)``), else when `body` returns.
final class ReconnectingLoop: Sendable {
    /// The thread's name.
    let name: String
    private let stopping = Atomic<Bool>(false)
    private let signal = WakeSignal()

    init(name: String) {
        self.name = name
    }

    /// True once ``stop()`` was called.
    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Ends the loop (see the type's description). Can be called from any thread.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        signal.signal()
    }

    /// Ends the current (or next) ``wait(seconds:)`` or backoff early. Can be called from any thread.
    func wake() {
        signal.signal()
    }

    /// Waits `seconds`, or less when ``wake()`` or ``stop()`` is called (or was, since the last wait). For `body`.
    func wait(seconds: Double) {
        signal.wait(seconds: seconds)
    }

    /// Starts a thread, named ``name``, that runs `body`.
    func start(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }

    /// Runs the loop on the calling thread until ``stop()``; the connection is closed when it returns.
    /// - Parameters:
    ///   - connect: opens a connection (and sets it up, e.g. `LISTEN`); what it throws counts as a failure.
    ///   - close: closes a connection.
    ///   - onFailure: told of each failure, after the connection is closed and before the backoff.
    ///   - body: one step of work on the connection.
    ///   - backoff: the waits after failures.
    func run<Connection>(
        connect: () throws -> Connection, close: (Connection) -> Void, onFailure: (any Error) -> Void, body: (Connection) throws -> Void,
        backoff: Backoff = Backoff()
    ) {
        var backoff = backoff
        var connection: Connection?
        while !isStopping {
            do {
                let current: Connection
                if let connection {
                    current = connection
                } else {
                    current = try connect()
                    connection = current
                }
                try body(current)
                backoff.reset()
            } catch {
                if let connection { close(connection) }
                connection = nil
                onFailure(error)
                if !isStopping { wait(seconds: backoff.next()) }
            }
        }
        if let connection { close(connection) }
    }
}
