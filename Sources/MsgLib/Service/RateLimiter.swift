import Foundation

/// Limits on how many messages one sender may create, per minute, hour and day, kept in the database so that every
/// relay process (and msgctl) sharing it applies the same limits (``RateLimitRepository``).
enum RateLimiter {
    /// Takes one message from `sender`'s windows, inside the send's transaction (after the conversation row is
    /// locked, the order every send takes its locks in).
    /// - Throws: ``ServiceError`` `.rateLimited`, with the seconds until the fullest window has room, when one is full.
    static func take(_ db: PostgresConnection, sender: UUID, rules: MessagingRules) throws {
        let windows = RateLimitRepository.windows(rules)
        var waits: [Double?] = []
        // A window that was full when the message was refused and has room when the wait is read: take again.
        for _ in 0..<3 {
            guard let refused = try RateLimitRepository.take(db, sender: sender, windows: windows) else { return }
            waits = refused
            if waits.contains(where: { $0 != nil }) { break }
        }
        try refuse(waits: waits, windows: windows)
    }

    /// Throws the 429 for the window that keeps the sender waiting longest.
    static func refuse(waits: [Double?], windows: [RateLimitRepository.Window]) throws {
        var exceeded: (wait: Double, window: RateLimitRepository.Window)?
        for (wait, window) in zip(waits, windows) {
            if let wait, wait > (exceeded?.wait ?? -1) { exceeded = (wait, window) }
        }
        // Full a moment ago and free again now: a retry will pass.
        let (wait, window) = exceeded ?? (0, windows[0])
        let plural = window.limit == 1 ? "message" : "messages"
        throw ServiceError(
            .rateLimited, "Rate limit exceeded: at most \(window.limit) \(plural) per \(window.name)",
            retryAfter: max(1, Int(wait.rounded(.up))))
    }
}
