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
        try db.query("SELECT pg_advisory_xact_lock(28019, hashtext($1::text))", [sender])
        // For each window: the creation time of the limit-th newest message inside it. If one exists, the
        // window is full until that message leaves it.
        let columns = windows.indices.map { i in
            """
            (SELECT extract(epoch FROM created_at + make_interval(secs => $\(2 * i + 2)) - now())::float8 FROM messages
              WHERE sender_id = $1 AND created_at > now() - make_interval(secs => $\(2 * i + 2))
              ORDER BY created_at DESC OFFSET $\(2 * i + 3) - 1 LIMIT 1)
            """
        }
        var parameters: [(any PostgresBindable)?] = [sender]
        for window in windows {
            parameters.append(window.seconds)
            parameters.append(window.limit)
        }
        let row = try db.query("SELECT " + columns.joined(separator: ", "), parameters)[0]
        var exceeded: (wait: Double, window: (seconds: Int, limit: Int, name: String))?
        for (i, window) in windows.enumerated() {
            if let wait = try row.decode(i, as: Double?.self), wait > (exceeded?.wait ?? -1) {
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
