@preconcurrency import Glibc
import MsgLib

/// Signals turned into bytes on a pipe, so the REPL's poll loop handles them like any other input (a signal
/// handler may do almost nothing else safely).
final class SignalPipe {
    nonisolated(unsafe) private static var writeEnd: Int32 = -1
    let descriptor: Int32

    init(_ signals: [Int32]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw UserFacingError("cannot create a pipe", exitStatus: .software) }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        descriptor = fds[0]
        Self.writeEnd = fds[1]
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(SignalPipe.writeEnd, &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, nil)
        }
    }

    /// The signals received since the last call.
    func take() -> [Int32] {
        var bytes = [UInt8](repeating: 0, count: 64)
        var out: [Int32] = []
        while true {
            let count = read(descriptor, &bytes, bytes.count)
            guard count > 0 else { return out }
            out += bytes.prefix(count).map { Int32($0) }
        }
    }
}
