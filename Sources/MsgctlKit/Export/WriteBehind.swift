@preconcurrency import Glibc

/// Streams a large file to disk while it is written, instead of leaving it all to the final `fsync`.
///
/// Every `window` bytes, the window just written is handed to the disk (`sync_file_range`, start writeback) and
/// the one before it is waited for and dropped from the page cache (`posix_fadvise(DONTNEED)`). The disk then works
/// from the first window on, in parallel with the export, the final `fsync` finds at most two windows left, and an
/// export of many gigabytes neither evicts the database's cached pages nor leaves gigabytes of dirty pages for the
/// kernel to write at once. Waiting for a window reports (and, on Linux, consumes) a write-back error that the final
/// `fsync` would otherwise have reported: ``wrote(_:)`` returns it, and the export fails.
struct WriteBehind {
    let descriptor: Int32
    let window: Int
    /// Bytes written so far, the end of the last window handed to the disk, and the end of what was waited for.
    private var written = 0
    private var started = 0
    private var settled = 0
    /// False once the file turned out not to support it (the final `fsync` then does all the work).
    private var supported = true

    /// The window exports use: 16 MiB, so at most 32 MiB of the file are in the page cache at a time.
    static let window = 16 << 20

    init(descriptor: Int32, window: Int) {
        self.descriptor = descriptor
        self.window = window
    }

    /// Counts `count` more bytes written at the end of the file, and moves the windows along.
    /// - Returns: the error (`errno`) of writing an earlier window to disk, or 0.
    mutating func wrote(_ count: Int) -> Int32 {
        written += count
        guard supported, written - started >= window, let syncRange = Self.syncFileRange else { return 0 }
        if syncRange(descriptor, Int64(started), Int64(written - started), Self.write) != 0 { return failure() }
        if started > settled {
            if syncRange(descriptor, Int64(settled), Int64(started - settled), Self.waitBefore | Self.write | Self.waitAfter) != 0 {
                return failure()
            }
            _ = posix_fadvise(descriptor, off_t(settled), off_t(started - settled), POSIX_FADV_DONTNEED)
            settled = started
        }
        started = written
        return 0
    }

    /// `errno` after a failed call: 0 when the file does not support it (write-behind stops), else the write error.
    private mutating func failure() -> Int32 {
        let code = errno
        guard code == EINVAL || code == ENOSYS || code == ESPIPE || code == EOPNOTSUPP else { return code }
        supported = false
        return 0
    }

    // sync_file_range(2) needs _GNU_SOURCE, which Swift's Glibc module is not built with: looked up at run time.
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    private static let waitBefore: UInt32 = 1
    private static let write: UInt32 = 2
    private static let waitAfter: UInt32 = 4
    private static let syncFileRange: SyncFileRange? = dlsym(nil, "sync_file_range").map { unsafeBitCast($0, to: SyncFileRange.self) }
}
