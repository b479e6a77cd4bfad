import Foundation

/// Sliding-window limits on how many messages one sender may create, counted from the `messages` table itself
/// so that every relay process (and msgctl) sharing the database sees the same counts.
enum RateLimiter {
    /// Throws ``ServiceError`` `.rateLimited` when `sender` has used up a window; call inside the send's transaction.
    ///
    /// A transaction-scoped advisory lock per sender serialises that sender's concurrent sends, so two relays
    /// cannot both admit the message that crosses the limit. Deleted messages still count.
    static func check(_ db: PostgresConnection, sender: UUID, rules: MessagingRules) throws {
        let windows = rules.windows
        guard !windows.isEmpty else { return }
        try RateLimitRepository.lockSender(db, sender)
        // For each window: how long until the limit-th newest message inside it leaves it, if there is one.
        let waits = try RateLimitRepository.waits(db, sender: sender, windows: windows.map { ($0.seconds, $0.limit) })
        var exceeded: (wait: Double, window: (seconds: Int, limit: Int, name: String))?
        for (wait, window) in zip(waits, windows) {
            if let wait, wait > (exceeded?.wait ?? -1) {
                exceeded = (wait, window)
            }
        }
        if let exceeded {
            let plural = exceeded.window.limit == 1 ? "message" : "messages"
            throw ServiceError(
                .rateLimited, "Rate limit exceeded: at most \(exceeded.window.limit) \(plural) per \(exceeded.window.name)",
                retryAfter: max(1, Int(exceeded.wait.rounded(.up))))
        }
    }
}
