@preconcurrency import Glibc

/// Streams a large file to disk while it is written, instead of leaving it all to the final `fsync`.
///
/// Every `window` bytes, the window just written is handed to the disk (`sync_file_range`, start writeback) and
/// the one before it is waited for and dropped from the page cache (`posix_fadvise(DONTNEED)`). The disk then works
/// from the first window on, in parallel with the export, the final `fsync` finds at most two windows left, and an
/// export of many gigabytes neither evicts the database's cached pages nor leaves gigabytes of dirty pages for the
/// kernel to write at once. Best effort: errors here are left to the final `fsync`, which reports them.
struct WriteBehind {
    let descriptor: Int32
    let window: Int
    /// Bytes written so far, the end of the last window handed to the disk, and the end of what was waited for.
    private var written = 0
    private var started = 0
    private var settled = 0

    /// The window exports use: 16 MiB, so at most 32 MiB of the file are in the page cache at a time.
    static let window = 16 << 20

    init(descriptor: Int32, window: Int) {
        self.descriptor = descriptor
        self.window = window
    }

    /// Counts `count` more bytes written at the end of the file, and moves the windows along.
    mutating func wrote(_ count: Int) {
        written += count
        guard written - started >= window, let syncRange = Self.syncFileRange else { return }
        _ = syncRange(descriptor, Int64(started), Int64(written - started), Self.write)
        if started > settled {
            _ = syncRange(descriptor, Int64(settled), Int64(started - settled), Self.waitBefore | Self.write | Self.waitAfter)
            _ = posix_fadvise(descriptor, off_t(settled), off_t(started - settled), POSIX_FADV_DONTNEED)
            settled = started
        }
        started = written
    }

    // sync_file_range(2) needs _GNU_SOURCE, which Swift's Glibc module is not built with: looked up at run time.
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    private static let waitBefore: UInt32 = 1
    private static let write: UInt32 = 2
    private static let waitAfter: UInt32 = 4
    private static let syncFileRange: SyncFileRange? = dlsym(nil, "sync_file_range").map { unsafeBitCast($0, to: SyncFileRange.self) }
}
