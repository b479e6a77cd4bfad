#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's limit on open files, which bounds how many sockets a relay can hold: each WebSocket and each database
/// connection is one file.
enum OpenFileLimit {
    /// Files kept for the rest of the process (database connections, listening sockets, logs, libraries).
    static let reserve = 64

    /// The soft and hard limits now.
    static func current() -> (soft: UInt64, hard: UInt64) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    /// Raises the soft limit to the hard one (what an unprivileged process may use), so that the relay is not held to
    /// a shell's 1024. Returns the limits before and after.
    @discardableResult
    static func raise() -> (before: UInt64, after: UInt64) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        let before = UInt64(limit.rlim_cur)
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 { return (before, before) }
        }
        return (before, current().soft)
    }

    /// Sockets the limit leaves room for.
    static func socketRoom(_ limit: UInt64, poolConnections: Int) -> UInt64 {
        let kept = UInt64(reserve + poolConnections)
        return limit > kept ? limit - kept : 0
    }
}
