@preconcurrency import Glibc
import MsgLib

/// Writes text to a standard stream without buffering surprises.
struct FileOutput: Sendable {
    let descriptor: Int32

    static let standardOutput = FileOutput(descriptor: 1)
    static let standardError = FileOutput(descriptor: 2)

    /// Writes all of `text`; false when the stream refused it (a closed pipe: `EPIPE`, once SIGPIPE is ignored).
    @discardableResult
    func write(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            bytes = bytes.dropFirst(written)
        }
        return true
    }

    /// True when the stream is a terminal.
    var isTerminal: Bool { isatty(descriptor) == 1 }
}
