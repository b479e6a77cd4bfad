import Foundation

/// The queries behind the sending rate limits: counts of a sender's recent messages, taken from `messages` itself so
/// that every process sharing the database sees the same counts.
enum RateLimitRepository {
    /// Takes the transaction-scoped advisory lock of `sender`, which serialises that sender's concurrent sends.
    static func lockSender(_ db: PostgresConnection, _ sender: UUID) throws {
        try db.query("SELECT pg_advisory_xact_lock(28019, hashtext($1::text))", [sender])
    }

    /// For each window (seconds, limit): nil while the sender has sent fewer than `limit` messages in the last
    /// `seconds`, otherwise the seconds until the limit-th newest of them leaves the window. Deleted messages count.
    static func waits(_ db: PostgresConnection, sender: UUID, windows: [(seconds: Int, limit: Int)]) throws -> [Double?] {
        guard !windows.isEmpty else { return [] }
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
        return try windows.indices.map { i in try row.decode(i, as: Double?.self) }
    }
}
