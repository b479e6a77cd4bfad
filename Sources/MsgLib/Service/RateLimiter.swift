import Foundation

/// Limits on how many messages one sender may create, per minute, hour and day, and on how often one user may
/// subscribe to Web Push or ask for a test push, kept in the database so that every relay process (and msgctl)
/// sharing it applies the same limits (``RateLimitRepository``).
enum RateLimiter {
    /// Takes one message from `sender`'s windows, inside the send's transaction (after the conversation row is
    /// locked, the order every send takes its locks in).
    /// - Throws: ``ServiceError`` `.rateLimited`, with the seconds until the fullest window has room, when one is full.
    static func take(_ db: PostgresConnection, sender: UUID, rules: MessagingRules) throws {
        try take(db, user: sender, windows: RateLimitRepository.windows(rules), counting: ("message", "messages"))
    }

    /// Takes one call from `user`'s window of a per-user action (``RateLimitRepository/Window/pushSubscribe(perHour:)``), in a statement of its own.
    /// - Throws: ``ServiceError`` `.rateLimited`, with the seconds until the window has room, when it is full.
    static func take(_ db: PostgresConnection, user: UUID, window: RateLimitRepository.Window, counting noun: (String, String)) throws {
        try take(db, user: user, windows: [window], counting: noun)
    }

    /// Takes one call from each of `windows` of `user`, or from none when one is full.
    static func take(_ db: PostgresConnection, user: UUID, windows: [RateLimitRepository.Window], counting noun: (String, String)) throws {
        var waits: [Double?] = []
        // A window that was full when the call was refused and has room when the wait is read: take again.
        for _ in 0..<3 {
            guard let refused = try RateLimitRepository.take(db, sender: user, windows: windows) else { return }
            waits = refused
            if waits.contains(where: { $0 != nil }) { break }
        }
        try refuse(waits: waits, windows: windows, counting: noun)
    }

    /// Throws the 429 for the window that keeps the sender waiting longest.
    static func refuse(
        waits: [Double?], windows: [RateLimitRepository.Window], counting noun: (String, String) = ("message", "messages")
    ) throws {
        var exceeded: (wait: Double, window: RateLimitRepository.Window)?
        for (wait, window) in zip(waits, windows) {
            if let wait, wait > (exceeded?.wait ?? -1) { exceeded = (wait, window) }
        }
        // Full a moment ago and free again now: a retry will pass.
        let (wait, window) = exceeded ?? (0, windows[0])
        let plural = window.limit == 1 ? noun.0 : noun.1
        throw ServiceError(
            .rateLimited, "Rate limit exceeded: at most \(window.limit) \(plural) per \(window.name)",
            retryAfter: max(1, Int(wait.rounded(.up))))
    }
}
