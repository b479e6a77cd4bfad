extension StatisticsRepository {
    /// The metrics for messages created in `since ..< until`, with days in `timezone` (an IANA name), by the
    /// straightforward statements: the definition ``statistics(_:since:until:timezone:)`` must match, kept for the tests
    /// that compare the two and for `msgbench stats reference`.
    package static func referenceStatistics(_ db: PostgresConnection, since: Timestamp, until: Timestamp, timezone: String) throws -> Statistics {
        let window: [(any PostgresBindable)?] = [since, until]
        return try figures(
            since: since, until: until, timezone: timezone, days: try db.query(referenceDaysSQL, window + [timezone]).map(day),
            activity: try db.query(referenceActivitySQL, window)[0], firstResponse: try response(try db.query(referenceResponseSQL, window)[0]))
    }

    /// The reference's statements; parameters: $1 since, $2 until (and $3 the time zone for the days).
    package static let referenceDaysSQL = """
        WITH m AS (
            SELECT date_trunc('day', m.created_at AT TIME ZONE $3::text) AS d, m.sender_id <> c.user_id AS from_admins
            FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE m.deleted_at IS NULL AND m.created_at >= $1::timestamptz AND m.created_at < $2::timestamptz
        ),
        days AS (
            SELECT generate_series(
                date_trunc('day', $1::timestamptz AT TIME ZONE $3::text),
                date_trunc('day', ($2::timestamptz - interval '1 microsecond') AT TIME ZONE $3::text), interval '1 day') AS d
        )
        SELECT to_char(days.d, 'YYYY-MM-DD') AS date,
               count(m.d) FILTER (WHERE NOT m.from_admins) AS from_users, count(m.d) FILTER (WHERE m.from_admins) AS from_admins
        FROM days LEFT JOIN m ON m.d = days.d
        GROUP BY days.d ORDER BY days.d
        """

    /// Activity over the window and the figures that do not depend on it.
    package static let referenceActivitySQL = """
        SELECT
            (SELECT count(DISTINCT conversation_id) FROM messages
             WHERE deleted_at IS NULL AND created_at >= $1::timestamptz AND created_at < $2::timestamptz) AS active_conversations,
            (SELECT count(*) FROM conversations WHERE created_at >= $1::timestamptz AND created_at < $2::timestamptz) AS new_conversations,
            (SELECT count(DISTINCT m.sender_id) FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.sender_id = c.user_id AND m.deleted_at IS NULL AND m.created_at >= $1::timestamptz AND m.created_at < $2::timestamptz
            ) AS active_users,
            (SELECT count(DISTINCT m.sender_id) FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.sender_id = c.user_id AND m.deleted_at IS NULL AND m.created_at >= $1::timestamptz AND m.created_at < $2::timestamptz
               AND EXISTS (
                   SELECT 1 FROM messages p
                   WHERE p.conversation_id = m.conversation_id AND p.sender_id = m.sender_id AND p.created_at < $1::timestamptz
                     AND p.deleted_at IS NULL)
            ) AS returning_users,
            \(backlogColumnsSQL)
        """

    /// Each wait and its answer, found by a subquery per wait.
    package static let referenceResponseSQL = """
        WITH m AS (
            SELECT m.conversation_id, c.user_id, m.created_at, m.sender_id <> c.user_id AS from_admins,
                   lag(m.sender_id <> c.user_id) OVER (PARTITION BY m.conversation_id ORDER BY m.created_at, m.id) AS previous_from_admins
            FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE m.deleted_at IS NULL AND m.created_at >= $1::timestamptz AND m.created_at < $2::timestamptz
        ),
        waits AS (
            SELECT w.created_at,
                   (SELECT min(a.created_at) FROM messages a
                    WHERE a.conversation_id = w.conversation_id AND a.sender_id <> w.user_id AND a.deleted_at IS NULL
                      AND a.created_at > w.created_at) AS answered_at
            FROM m w WHERE NOT w.from_admins AND (w.previous_from_admins IS NULL OR w.previous_from_admins)
        )
        \(waitFiguresSQL)
        """
}
