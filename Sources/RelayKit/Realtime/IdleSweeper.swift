import MsgLib
import ServiceLifecycle

/// Closes sockets whose clients sent nothing for the idle timeout, and sockets whose token expired: one timer for
/// the whole relay, checked every tenth of the timeout (at least every second), rather than one per socket.
struct IdleSweeper: Service {
    let hub: Hub
    let timeout: Duration
    /// Sockets whose queued frames wait this long for a client that reads nothing are disconnected.
    var writeTimeout: Duration = .seconds(10)

    func run() async throws {
        let period = min(max(timeout / 10, .milliseconds(50)), .seconds(1))
        // Ends at once on shutdown (or cancellation), not at the next tick.
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: period)
                hub.closeInactive(idleAfter: timeout, stalledAfter: writeTimeout, now: Timestamp.now().secondsSinceEpoch)
            }
        }
    }
}
