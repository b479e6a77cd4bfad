@preconcurrency import Glibc
import MsgLib

/// Where exported bytes go: an open file descriptor (standard output, or the temporary file of an ``AtomicFile``).
final class ExportDestination {
    let descriptor: Int32
    /// How errors name it: the path the user gave, or "standard output".
    let name: String
    /// For a file msgctl flushes when it is complete: its bytes stream to the disk as they are written.
    private var writeBehind: WriteBehind?
    /// For a terminal: what users wrote is shown escaped, so it cannot drive it.
    private let terminal: TerminalGuard?

    /// - Parameter writeBehindWindow: for a regular file that will be flushed, the ``WriteBehind`` window.
    init(descriptor: Int32, name: String, writeBehindWindow: Int? = nil) {
        self.descriptor = descriptor
        self.name = name
        writeBehind = writeBehindWindow.map { WriteBehind(descriptor: descriptor, window: $0) }
        terminal = isatty(descriptor) == 1 ? TerminalGuard() : nil
    }

    /// Writes all of `bytes`, retrying short writes and EINTR; on a terminal, escaped as ``TerminalGuard`` says.
    /// - Throws: ``UserFacingError`` (`cantCreate`) naming the destination and the system's reason (disk full...).
    func write(_ bytes: UnsafeRawBufferPointer) throws(UserFacingError) {
        if let terminal { try writeAll(terminal.escaped(bytes)) } else { try writeAll(bytes) }
    }

    /// Writes what a terminal was still owed (an incomplete character at the end: shown as it is).
    func finish() throws(UserFacingError) {
        guard let rest = terminal?.finish(), !rest.isEmpty else { return }
        try writeAll(rest)
    }

    private func writeAll(_ bytes: [UInt8]) throws(UserFacingError) {
        try bytes.withUnsafeBytes { raw in Result { () throws(UserFacingError) in try writeAll(raw) } }.get()
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(UserFacingError) {
        let failed = FileWrite.all(to: descriptor, bytes)
        if failed != 0 { throw UserFacingError("cannot write \(name): \(String(cString: strerror(failed)))", exitStatus: .cantCreate) }
        if let failure = writeBehind?.wrote(bytes.count), failure != 0 {
            throw UserFacingError("cannot write \(name): \(String(cString: strerror(failure)))", exitStatus: .cantCreate)
        }
    }
}

/// Bytes on their way to an ``ExportDestination``, gathered in memory and written in blocks of `blockSize`.
///
/// A value type passed `inout` to the formatters so that appending a byte costs no reference counting or
/// exclusivity check; memory stays at about one block whatever the size of the export.
struct ExportOutput {
    var bytes: [UInt8] = []
    let destination: ExportDestination
    let blockSize: Int
    /// Bytes handed to the destination so far.
    private(set) var written = 0

    init(_ destination: ExportDestination, blockSize: Int = 1 << 18) {
        self.destination = destination
        self.blockSize = blockSize
        bytes.reserveCapacity(blockSize + (1 << 16))
    }

    @inline(__always) mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A `String`'s UTF-8 (not an overload of `append`, so that literals stay `StaticString`s).
    mutating func appendString(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: buffer)
    }

    mutating func append(_ buffer: Slice<UnsafeBufferPointer<UInt8>>) {
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer))
    }

    /// Writes the gathered bytes out once they fill a block.
    mutating func flushIfFull() throws {
        if bytes.count >= blockSize { try flush() }
    }

    /// Writes out everything gathered.
    mutating func flush() throws {
        guard !bytes.isEmpty else { return }
        let destination = self.destination
        try bytes.withUnsafeBytes { raw in try destination.write(raw) }
        written += bytes.count
        bytes.removeAll(keepingCapacity: true)
    }
}
