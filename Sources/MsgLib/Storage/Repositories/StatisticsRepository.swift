/// The queries behind ``Statistics``. Deleted messages do not count. A message is its conversation's user's or the
/// admins' by the conversation it is in (its sender is the conversation's user or not), not by anyone's role now: the
/// figures of the past do not change when someone is made admin or stops being one.
package enum StatisticsRepository {
    /// True when PostgreSQL knows the time zone `name`.
    static func knowsTimeZone(_ db: PostgresConnection, _ name: String) throws -> Bool {
        try db.query("SELECT 1 FROM pg_timezone_names WHERE name = $1", [name]).count == 1
    }

    /// The metrics for messages created in `since ..< until`, with days in `timezone` (an IANA name): the figures of
    /// ``referenceStatistics(_:since:until:timezone:)``, read so that the cost grows with the window's messages and the
    /// number of users and conversations, not with the history (docs/statistics.md).
    ///
    /// - The window's messages come from `idx_messages_created_at` (migration 31), in parallel workers.
    /// - Active conversations and users are probes of one entry each, in the conversation index (for a user, any one
    ///   of their messages there: a scalar subquery), and for returning users in the sender index, the conversation
    ///   checked on the row (`IS TRUE`): PostgreSQL takes a message's sender and conversation for independent, expects
    ///   almost no row to match both, and would otherwise hash the whole history (6 s at 10,000,000 messages).
    /// - First response is one pass over the window's messages in conversation order, newest first: each message sees
    ///   the earliest admin message after it in the window. A wait without one, or whose next admin message shares its
    ///   creation time (one transaction), looks further in the conversation's index.
    package static func statistics(_ db: PostgresConnection, since: Timestamp, until: Timestamp, timezone: String) throws -> Statistics {
        var statistics = try daysAndActivity(db, since: since, until: until, timezone: timezone)
        statistics.firstResponse = try firstResponse(db, since: since, until: until)
        return statistics
    }

    /// Every figure but first response (left empty), in one transaction with the settings of ``configure(_:parallel:)``,
    /// in one process: these statements run beside first response, whose parallel workers have the other cores.
    package static func daysAndActivity(_ db: PostgresConnection, since: Timestamp, until: Timestamp, timezone: String) throws -> Statistics {
        let window: [(any PostgresBindable)?] = [since, until]
        return try db.transaction {
            try configure(db, parallel: false)
            return try figures(
                since: since, until: until, timezone: timezone, days: try db.query(daysSQL, window + [timezone]).map(day),
                activity: try db.query(activitySQL, window)[0],
                firstResponse: Statistics.FirstResponse(medianSeconds: nil, p90Seconds: nil, answered: 0, waiting: 0))
        }
    }

    /// First response over the window, in a transaction with the settings of ``configure(_:parallel:)``.
    package static func firstResponse(_ db: PostgresConnection, since: Timestamp, until: Timestamp) throws -> Statistics.FirstResponse {
        try db.transaction {
            try configure(db)
            return try response(try db.query(firstResponseSQL, [since, until])[0])
        }
    }

    /// For the rest of the transaction: sorting a month of messages in memory beats spilling to disk; JIT compiles
    /// longer than these statements run. With `parallel`, the planner's costs of parallel workers are set to nothing:
    /// its default costs keep first response in one process, where three are faster. Without, no worker: the other
    /// figures, run beside first response, finished sooner in one process than with workers contending for the same
    /// two cores (the whole run 0.99 to 1.02 s against 1.09 to 1.10 s).
    static func configure(_ db: PostgresConnection, parallel: Bool = true) throws {
        let workers: [(name: String, value: String)] =
            parallel ? [("parallel_setup_cost", "0"), ("parallel_tuple_cost", "0")] : [("max_parallel_workers_per_gather", "0")]
        try db.setLocal([("work_mem", "64MB"), ("jit", "off")] + workers)
    }

    /// One row of a days query.
    static func day(_ row: PostgresRow) throws(DatabaseError) -> Statistics.Day {
        Statistics.Day(date: try row.decode("date"), fromUsers: try row.decode("from_users"), fromAdmins: try row.decode("from_admins"))
    }

    /// First response from the row of a first-response query.
    static func response(_ row: PostgresRow) throws -> Statistics.FirstResponse {
        Statistics.FirstResponse(
            medianSeconds: try row.decode("median"), p90Seconds: try row.decode("p90"), answered: try row.decode("answered"),
            waiting: try row.decode("waiting"))
    }

    /// The figures from the row of an activity query, with the days and first response found beside it.
    static func figures(
        since: Timestamp, until: Timestamp, timezone: String, days: [Statistics.Day], activity: PostgresRow,
        firstResponse: Statistics.FirstResponse
    ) throws -> Statistics {
        Statistics(
            since: since, until: until, timezone: timezone, days: days,
            activeConversations: try activity.decode("active_conversations"), newConversations: try activity.decode("new_conversations"),
            activeUsers: try activity.decode("active_users"), returningUsers: try activity.decode("returning_users"),
            unreadMessages: try activity.decode("unread_messages"), unreadConversations: try activity.decode("unread_conversations"),
            oldestUnreadAt: try activity.decode("oldest_unread_at"),
            firstResponse: firstResponse,
            notificationsPending: try activity.decode("notifications_pending"), notificationsFailed: try activity.decode("notifications_failed"))
    }

    /// Messages per day of the window, by the conversations' users and by admins; days without messages too.
    static let daysSQL = """
        WITH counts AS (
            SELECT date_trunc('day', m.created_at AT TIME ZONE $3::text) AS d,
                   count(*) FILTER (WHERE o.id IS NOT NULL) AS from_users, count(*) FILTER (WHERE o.id IS NULL) AS from_admins
            FROM messages m LEFT JOIN conversations o ON o.id = m.conversation_id AND o.user_id = m.sender_id
            WHERE m.deleted_at IS NULL AND m.created_at >= $1::timestamptz AND m.created_at < $2::timestamptz
            GROUP BY 1
        ),
        days AS (
            SELECT generate_series(
                date_trunc('day', $1::timestamptz AT TIME ZONE $3::text),
                date_trunc('day', ($2::timestamptz - interval '1 microsecond') AT TIME ZONE $3::text), interval '1 day') AS d
        )
        SELECT to_char(days.d, 'YYYY-MM-DD') AS date, coalesce(c.from_users, 0) AS from_users, coalesce(c.from_admins, 0) AS from_admins
        FROM days LEFT JOIN counts c ON c.d = days.d
        ORDER BY days.d
        """

    /// Conversations and users active in the window, and the figures that do not depend on it.
    static let activitySQL = """
        WITH active_users AS MATERIALIZED (
            SELECT c.id, c.user_id FROM conversations c
            WHERE (
                SELECT true FROM messages m
                WHERE m.conversation_id = c.id AND m.sender_id = c.user_id
                  AND m.created_at >= $1::timestamptz AND m.created_at < $2::timestamptz AND m.deleted_at IS NULL
                LIMIT 1)
        )
        SELECT
            (SELECT count(*) FROM conversations c WHERE EXISTS (
                SELECT 1 FROM messages m
                WHERE m.conversation_id = c.id AND m.created_at >= $1::timestamptz AND m.created_at < $2::timestamptz AND m.deleted_at IS NULL)
            ) AS active_conversations,
            (SELECT count(*) FROM conversations WHERE created_at >= $1::timestamptz AND created_at < $2::timestamptz) AS new_conversations,
            (SELECT count(*) FROM active_users) AS active_users,
            (SELECT count(*) FROM active_users a WHERE EXISTS (
                SELECT 1 FROM messages p
                WHERE p.sender_id = a.user_id AND (p.conversation_id = a.id) IS TRUE AND p.created_at < $1::timestamptz
                  AND p.deleted_at IS NULL)
            ) AS returning_users,
            \(backlogColumnsSQL)
        """

    /// Waits and their answers. In the window `w` (newest first within a conversation), `lead` is the message before
    /// in time and the running `min` over the rows before in `w` is the earliest later admin message in the window.
    static let firstResponseSQL = """
        WITH r AS (
            SELECT m.conversation_id, m.created_at, o.id IS NULL AS from_admins, lead(o.id IS NULL) OVER w AS previous_from_admins,
                   min(m.created_at) FILTER (WHERE o.id IS NULL) OVER w AS later_admin_at
            FROM messages m LEFT JOIN conversations o ON o.id = m.conversation_id AND o.user_id = m.sender_id
            WHERE m.deleted_at IS NULL AND m.created_at >= $1::timestamptz AND m.created_at < $2::timestamptz
            WINDOW w AS (PARTITION BY m.conversation_id ORDER BY m.created_at DESC, m.id DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
        ),
        waits AS MATERIALIZED (
            SELECT r.created_at,
                   CASE WHEN r.later_admin_at > r.created_at THEN r.later_admin_at
                   ELSE (SELECT x.created_at FROM messages x
                         WHERE x.conversation_id = r.conversation_id AND x.deleted_at IS NULL
                           AND x.created_at > r.created_at
                           AND x.created_at >= CASE WHEN r.later_admin_at IS NULL THEN $2::timestamptz ELSE r.created_at END
                           AND x.sender_id <> (SELECT c.user_id FROM conversations c WHERE c.id = r.conversation_id)
                         ORDER BY x.created_at LIMIT 1)
                   END AS answered_at
            FROM r WHERE NOT r.from_admins AND (r.previous_from_admins IS NULL OR r.previous_from_admins)
        )
        \(waitFiguresSQL)
        """

    /// The figures of the waits in the CTE `waits` (`created_at`, `answered_at`), shared by both ways of finding them.
    static let waitFiguresSQL = """
        SELECT
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - created_at)::float8)
                FILTER (WHERE answered_at IS NOT NULL) AS median,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - created_at)::float8)
                FILTER (WHERE answered_at IS NOT NULL) AS p90,
            count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,
            count(*) FILTER (WHERE answered_at IS NULL) AS waiting
        FROM waits
        """

    /// The columns of the activity row that do not depend on the window: the unread backlog and the outbox.
    static let backlogColumnsSQL = """
        (SELECT coalesce(sum(unread_count_admin), 0)::bigint FROM conversations) AS unread_messages,
        (SELECT count(*) FROM conversations WHERE unread_count_admin > 0) AS unread_conversations,
        (SELECT min(m.created_at) FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.sender_id = c.user_id AND m.read_at IS NULL AND m.deleted_at IS NULL) AS oldest_unread_at,
        (SELECT count(*) FROM notification_outbox WHERE failed_at IS NULL) AS notifications_pending,
        (SELECT count(*) FROM notification_outbox WHERE failed_at IS NOT NULL) AS notifications_failed
        """
}
