import Foundation

/// The state behind the sending rate limits: per sender and window, the GCRA "theoretical arrival time" (TAT) in
/// `sender_rate_limits`, shared by every process that uses the database.
///
/// A window of `limit` messages per `seconds` lets a message through when, after it, the TAT is at most `seconds`
/// ahead of now; the message moves the TAT `seconds / limit` on (from now, when it lies in the past). That admits a
/// burst of `limit`, then one message every `seconds / limit`. The check and the update are one `INSERT ... ON
/// CONFLICT DO UPDATE ... WHERE`: the sender's row is locked while it is decided, so concurrent sends through several
/// relays take turns, and the cost does not depend on how many messages the sender ever sent.
package enum RateLimitRepository {
    /// One window in force: its column in `sender_rate_limits`, its length and its limit.
    package struct Window: Sendable, Equatable {
        var column: String
        var seconds: Int
        var limit: Int
        var name: String

        /// Seconds one message moves the TAT on.
        var emission: Double { Double(seconds) / Double(limit) }

        /// `POST /api/push/subscribe` calls per hour (migration 19).
        static func pushSubscribe(perHour limit: Int) -> Window {
            Window(column: "push_subscribe_tat", seconds: 3600, limit: limit, name: "hour")
        }

        /// `POST /api/attachments` calls per hour (migration 24).
        static func attachmentCreate(perHour limit: Int) -> Window {
            Window(column: "attachment_tat", seconds: 3600, limit: limit, name: "hour")
        }

        /// Reactions added or removed per minute (migration 29).
        static func reactions(perMinute limit: Int) -> Window {
            Window(column: "reaction_tat", seconds: 60, limit: limit, name: "minute")
        }

        /// Edits per minute (migration 35).
        static func edits(perMinute limit: Int) -> Window {
            Window(column: "edit_tat", seconds: 60, limit: limit, name: "minute")
        }

        /// Edits per day (migration 44).
        static func edits(perDay limit: Int) -> Window {
            Window(column: "edit_day_tat", seconds: 86400, limit: limit, name: "day")
        }

        /// `POST /api/push/test` calls per hour (migration 19).
        static func pushTest(perHour limit: Int) -> Window {
            Window(column: "push_test_tat", seconds: 3600, limit: limit, name: "hour")
        }
    }

    /// The windows of `rules`, with their columns.
    static func windows(_ rules: MessagingRules) -> [Window] {
        rules.windows.map { Window(column: "\($0.name)_tat", seconds: $0.seconds, limit: $0.limit, name: $0.name) }
    }

    /// The statement that takes one message from each window of `sender`, or changes nothing when a window is full;
    /// it returns the sender's id only when it took the message. `sender` is the SQL of the sender's id, `source` what the
    /// rows are selected from (`FROM c` to take one message for each row of a CTE), `first` the number of the first
    /// parameter it may use.
    /// - Returns: the SQL and its parameters.
    static func take(
        _ windows: [Window], sender: String = "$1", source: String = "", first: Int
    ) -> (sql: String, parameters: [(any PostgresBindable)?]) {
        let parameters = Self.parameters(windows)
        var columns: [String] = []
        var initial: [String] = []
        var updates: [String] = []
        var conditions: [String] = []
        for (i, window) in windows.enumerated() {
            let emission = "make_interval(secs => $\(first + 2 * i)::float8)"
            let length = "make_interval(secs => $\(first + 2 * i + 1)::float8)"
            columns.append(window.column)
            initial.append("now() + \(emission)")
            updates.append("\(window.column) = greatest(r.\(window.column), now()) + \(emission)")
            conditions.append("greatest(r.\(window.column), now()) + \(emission) <= now() + \(length)")
        }
        let sql = """
            INSERT INTO sender_rate_limits AS r (sender_id, \(columns.joined(separator: ", ")))
            SELECT \(sender), \(initial.joined(separator: ", ")) \(source)
            ON CONFLICT (sender_id) DO UPDATE SET \(updates.joined(separator: ", "))
            WHERE \(conditions.joined(separator: " AND "))
            RETURNING r.sender_id
            """
        return (sql, parameters)
    }

    /// The parameters of ``take(_:sender:source:first:)``, in order: each window's emission and length.
    static func parameters(_ windows: [Window]) -> [(any PostgresBindable)?] {
        windows.flatMap { window -> [(any PostgresBindable)?] in [window.emission, Double(window.seconds)] }
    }

    /// Takes one message from each window of `sender`. Returns nil when it did; otherwise, for each window, nil when
    /// it has room, or the seconds until it has.
    static func take(_ db: PostgresConnection, sender: UUID, windows: [Window]) throws -> [Double?]? {
        guard !windows.isEmpty else { return nil }
        let statement = take(windows, first: 2)
        if try !db.query(statement.sql, [sender] + statement.parameters).isEmpty { return nil }
        return try waits(db, sender: sender, windows: windows)
    }

    /// For each window: nil when `sender` may send one more message now, otherwise the seconds until they may.
    static func waits(_ db: PostgresConnection, sender: UUID, windows: [Window]) throws -> [Double?] {
        let columns = windows.enumerated().map { i, window in
            """
            extract(epoch FROM greatest(\(window.column), now()) + make_interval(secs => $\(2 * i + 2)::float8)
              - make_interval(secs => $\(2 * i + 3)::float8) - now())::float8
            """
        }
        var parameters: [(any PostgresBindable)?] = [sender]
        for window in windows { parameters += [window.emission, Double(window.seconds)] }
        guard let row = try db.query("SELECT \(columns.joined(separator: ", ")) FROM sender_rate_limits WHERE sender_id = $1", parameters).first
        else { return windows.map { _ in nil } }
        return try windows.indices.map { i in
            let wait = try row.decode(i, as: Double?.self)
            return wait.flatMap { $0 > 0 ? $0 : nil }
        }
    }
}
