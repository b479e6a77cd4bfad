@preconcurrency import Glibc
import MsgLib

/// A file that appears complete or not at all.
///
/// Bytes go to a temporary file beside the target (`.NAME.msgctl-XXXXXX.tmp`, same directory so the rename stays on
/// one file system); ``sync()`` flushes it to disk, ``publish()`` renames it over the target and flushes the
/// directory. Until `publish()` succeeds the target is untouched: a failure midway (database gone, disk full) or
/// SIGINT/SIGTERM/SIGHUP (with ``installSignalCleanup()``) removes the temporary file, and a crash or SIGKILL
/// leaves at worst that temporary file, never half a target.
///
/// A new file gets mode 0600 (messages are private); a file that is replaced keeps its permission bits.
/// Used on one thread at a time.
final class AtomicFile {
    /// The file the user named.
    let path: String
    /// The temporary file being written, by its absolute path: a pending state names it, and the next run may start
    /// in another directory.
    let temporaryPath: String
    let directory: String
    private(set) var descriptor: Int32
    private var slot: Int?
    private var published = false
    /// True once the temporary file has been renamed over the target.
    var isPublished: Bool { published }
    private var kept = false
    /// Why an existing target must be kept (``publish()`` then refuses it instead of replacing it), for the refusal; nil
    /// when it is replaced.
    private let keepReason: String?

    /// Creates the temporary file.
    /// - Throws: ``UserFacingError`` (`cantCreate`) when the directory is missing or not writable, or `path` is a
    ///   directory, with the system's reason.
    ///   With `keeping` (why an existing file must be kept, said in the refusal), also when `path` exists.
    init(path: String, keeping keepReason: String? = nil) throws(UserFacingError) {
        guard !path.isEmpty else { throw UserFacingError("the output path is empty", exitStatus: .usage) }
        self.path = path
        self.keepReason = keepReason
        let parts = Self.split(Self.absolute(path))
        directory = parts.directory
        var existing = stat()
        // The name itself, not what a symbolic link there points to: the rename replaces the link.
        let exists = lstat(path, &existing) == 0
        let isLink = exists && (existing.st_mode & S_IFMT) == S_IFLNK
        if exists, (existing.st_mode & S_IFMT) == S_IFDIR {
            throw UserFacingError("cannot write \(path): it is a directory", exitStatus: .cantCreate)
        }
        if exists, let keepReason { throw Self.exists(path, keepReason) }
        // Renaming over a device or a pipe (/dev/null, as root) would replace it with a plain file.
        if exists, !isLink, (existing.st_mode & S_IFMT) != S_IFREG {
            throw UserFacingError(
                "cannot write \(path): not a regular file (leave out --output to write to standard output)", exitStatus: .cantCreate)
        }
        let suffix = ".tmp"
        var template = Array("\(directory)/.\(parts.name).msgctl-XXXXXX\(suffix)".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, Int32(suffix.utf8.count)) }
        guard fd >= 0 else {
            throw UserFacingError("cannot create a file in \(directory): \(String(cString: strerror(errno)))", exitStatus: .cantCreate)
        }
        descriptor = fd
        temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // A replaced file keeps its permission bits; a link's are not the file's (a new file: 0600).
        if exists, !isLink { fchmod(fd, existing.st_mode & 0o7777) }
        slot = SignalCleanup.register(temporaryPath)
    }

    deinit {
        abandon()
    }

    /// Flushes the temporary file's contents and its directory entry to disk, and closes it.
    func sync() throws(UserFacingError) {
        guard descriptor >= 0 else { return }
        let failed = fsync(descriptor) != 0
        let reason = errno
        close(descriptor)
        descriptor = -1
        guard !failed else { throw UserFacingError("cannot write \(path): \(String(cString: strerror(reason)))", exitStatus: .cantCreate) }
        try Self.syncDirectory(directory)
    }

    /// Takes the temporary file out of the signal cleanup: once a pending state names it, only the next run may
    /// decide its fate.
    func excludeFromSignalCleanup() {
        release()
    }

    /// Leaves the temporary file in place even if not published (a pending state refers to it), and out of the
    /// signal cleanup.
    func keep() {
        kept = true
        release()
    }

    /// Renames the temporary file over the target and flushes the directory, so the new name survives a crash. A file
    /// that does not replace is linked to the target's name (which fails if that name exists, even one made a moment
    /// ago), then its temporary name is removed.
    func publish() throws(UserFacingError) {
        try sync()
        if let keepReason {
            guard link(temporaryPath, path) == 0 else {
                if errno == EEXIST { throw Self.exists(path, keepReason) }
                throw UserFacingError("cannot create \(path): \(String(cString: strerror(errno)))", exitStatus: .cantCreate)
            }
            // Published: a temporary name left behind is the same file, which the next run recognises.
            unlink(temporaryPath)
        } else {
            guard rename(temporaryPath, path) == 0 else {
                throw UserFacingError("cannot replace \(path): \(String(cString: strerror(errno)))", exitStatus: .cantCreate)
            }
        }
        published = true
        release()
        try Self.syncDirectory(directory)
    }

    private static func exists(_ path: String, _ reason: String) -> UserFacingError {
        UserFacingError("\(path) exists: \(reason)", exitStatus: .cantCreate)
    }

    /// Closes and removes the temporary file, unless published. Safe to call more than once.
    func abandon() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        if !published && !kept { unlink(temporaryPath) }
        release()
    }

    private func release() {
        if let slot { SignalCleanup.unregister(slot) }
        slot = nil
    }

    /// Writes `bytes` to `path` atomically (small files: the export state).
    static func write(_ bytes: [UInt8], to path: String) throws {
        let file = try AtomicFile(path: path)
        defer { file.abandon() }
        let destination = ExportDestination(descriptor: file.descriptor, name: path)
        try bytes.withUnsafeBytes { raw in try destination.write(raw) }
        try file.publish()
    }

    /// fsync of a directory, so that a rename or a new entry in it is on disk.
    static func syncDirectory(_ directory: String) throws(UserFacingError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw UserFacingError("cannot open \(directory): \(String(cString: strerror(errno)))", exitStatus: .cantCreate) }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw UserFacingError("cannot flush \(directory): \(String(cString: strerror(errno)))", exitStatus: .cantCreate)
        }
    }

    /// The directory (`.` for a bare name) and the last component of `path`.
    /// `path` from the root: relative to the current directory when it does not start with `/`.
    static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let directory = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (directory.hasSuffix("/") ? directory : directory + "/") + path
    }

    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// Whether a file exists at `path` (any kind).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Removes temporary files when the process is interrupted (SIGINT, SIGTERM, SIGHUP), then dies of the same
    /// signal as it would have. Call once, early, from a command that writes with `AtomicFile`.
    static func installSignalCleanup() {
        SignalCleanup.install()
    }
}

/// The temporary files to remove if a signal ends the process: a few fixed slots of C strings, so the handler
/// only reads memory and calls `unlink`, both safe in a signal handler.
private enum SignalCleanup {
    static let capacity = 8
    nonisolated(unsafe) static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let slots = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        slots.initialize(repeating: nil, count: capacity)
        return slots
    }()

    static func register(_ path: String) -> Int? {
        for index in 0..<capacity where slots[index] == nil {
            slots[index] = strdup(path)
            return index
        }
        return nil
    }

    static func unregister(_ index: Int) {
        let path = slots[index]
        slots[index] = nil
        free(path)
    }

    static func install() {
        _ = slots
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(signal) { received in
                for index in 0..<SignalCleanup.capacity {
                    if let path = SignalCleanup.slots[index] { unlink(path) }
                }
                Glibc.signal(received, SIG_DFL)
                raise(received)
            }
        }
    }
}
