@preconcurrency import Glibc
import MsgLib
import Synchronization

/// Writes text to a standard stream without buffering surprises.
struct FileOutput: Sendable {
    let descriptor: Int32

    static let standardOutput = FileOutput(descriptor: 1)
    static let standardError = FileOutput(descriptor: 2)

    /// Writes all of `text`; false when the stream refused it (a closed pipe: `EPIPE`, once SIGPIPE is ignored). The
    /// first failure of standard output is remembered for ``checkStandardOutput()``.
    @discardableResult
    func write(_ text: String) -> Bool {
        let failed = Array(text.utf8).withUnsafeBytes { FileWrite.all(to: descriptor, $0) }
        guard failed == 0 else {
            if descriptor == 1 { _ = Self.outputFailure.compareExchange(expected: 0, desired: failed, ordering: .relaxed) }
            return false
        }
        return true
    }

    /// Writes data meant for programs (JSON, CSV): exactly, unless the stream is a terminal, where every character
    /// that could drive it is shown escaped (``TerminalText``, line feeds and tabs kept): data printed on a terminal is
    /// read by a person, and what users wrote must not run there.
    @discardableResult
    func writeData(_ text: String) -> Bool {
        write(isTerminal ? TerminalText.escaped(text, multiline: true) : text)
    }

    /// The `errno` of the first write to standard output that failed, 0 while none did.
    private static let outputFailure = Atomic<Int32>(0)

    /// Throws when something written to standard output did not get there (a full disk, a quota, an I/O error) and
    /// the command would otherwise report success: status 73. A reader that closed its pipe (`EPIPE`, as `| head`
    /// does) is no failure.
    static func checkStandardOutput() throws {
        var failure = outputFailure.load(ordering: .relaxed)
        if failure == 0, fflush(nil) != 0 { failure = errno }  // what `print` buffered (every stream: no global to name)
        guard failure != 0, failure != EPIPE else { return }
        throw UserFacingError("cannot write standard output: \(String(cString: strerror(failure)))", exitStatus: .cantCreate)
    }

    /// True when the stream is a terminal.
    var isTerminal: Bool { isatty(descriptor) == 1 }
}
