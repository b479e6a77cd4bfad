import Foundation

/// An accepted Events API event waiting in the inbox.
package struct SlackInboxEvent: Sendable, Equatable {
    package var eventId: String
    /// The request body as Slack sent it (JSON).
    package var payload: String
    package var attempts: Int
    package var receivedAt: Timestamp
    /// Seconds since it was received, by the database's clock.
    package var age: Double = 0
}

/// The `slack_inbox` table: Events API events stored when they arrive, keyed by `event_id`, and handled afterwards by
/// the relays, each row by one relay (claimed with `FOR UPDATE SKIP LOCKED`).
package enum SlackInboxRepository {
    /// What became of an event.
    package enum State: String, Sendable {
        case pending, done, ignored, failed
    }

    /// Stores an event unless one with the same id is there; true when it was new. `order`: where it stands among the
    /// others (``SlackEventEnvelope/order``).
    package static func insert(_ db: PostgresConnection, eventId: String, payload: String, order: SlackEventOrder = SlackEventOrder()) throws -> Bool
    {
        try db.query(
            """
            INSERT INTO slack_inbox (event_id, payload, order_keys, follows_keys) VALUES ($1, $2, $3::text[], $4::text[])
            ON CONFLICT (event_id) DO NOTHING RETURNING 1
            """,
            [eventId, payload, order.keys, order.follows]
        ).count == 1
    }

    /// Locks and returns the oldest due pending event, skipping those another relay holds and those that follow a pending
    /// event received before them (held or waiting: ``SlackEventOrder``); nil when none is due. The lock lasts until the caller's transaction ends.
    package static func claimNext(_ db: PostgresConnection) throws -> SlackInboxEvent? {
        try db.query(
            """
            SELECT event_id, payload, attempts, received_at, extract(epoch FROM now() - received_at)::float8 AS age FROM slack_inbox s
            WHERE state = 'pending' AND available_at <= now()
              AND NOT EXISTS (
                SELECT 1 FROM slack_inbox e
                WHERE e.state = 'pending' AND e.order_keys && s.follows_keys
                  AND (e.received_at, e.event_id) < (s.received_at, s.event_id))
            ORDER BY available_at, received_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED
            """
        ).first.map { row throws(DatabaseError) in
            SlackInboxEvent(
                eventId: try row.decode("event_id"), payload: try row.decode("payload"), attempts: try row.decode("attempts"),
                receivedAt: try row.decode("received_at"), age: try row.decode("age"))
        }
    }

    /// Records that an event was handled (`done`), needed nothing (`ignored`) or was given up (`failed`), with why; the
    /// events that followed it are due at once.
    package static func finish(_ db: PostgresConnection, eventId: String, state: State, reason: String? = nil) throws {
        try db.query(
            """
            WITH finished AS (
                UPDATE slack_inbox SET state = $2, last_error = $3, processed_at = now(), attempts = attempts + 1
                WHERE event_id = $1
                RETURNING order_keys, received_at
            )
            UPDATE slack_inbox s SET available_at = now()
            FROM finished f
            WHERE s.state = 'pending' AND s.available_at > now() AND s.follows_keys && f.order_keys AND s.received_at >= f.received_at
              AND s.event_id <> $1
            """, [eventId, state.rawValue, reason])
    }

    /// Counts a failed attempt and makes the event due again in `delay` seconds.
    package static func retry(_ db: PostgresConnection, eventId: String, in delay: Double, error: String) throws {
        try db.query(
            """
            UPDATE slack_inbox
            SET attempts = attempts + 1, available_at = clock_timestamp() + make_interval(secs => $2), last_error = $3
            WHERE event_id = $1 AND state = 'pending'
            """, [eventId, delay, error])
    }

    /// Makes a pending event due again in `delay` seconds without counting an attempt (it waits for what it refers to;
    /// attempts count database failures).
    package static func wait(_ db: PostgresConnection, eventId: String, in delay: Double, reason: String) throws {
        try db.query(
            """
            UPDATE slack_inbox SET available_at = clock_timestamp() + make_interval(secs => $2), last_error = $3
            WHERE event_id = $1 AND state = 'pending'
            """, [eventId, delay, reason])
    }

    /// Makes the events ignored as `reason` (what they refer to was not known) that follow `key` pending and due again,
    /// in the order they arrived (``claimNext(_:)``): what they refer to was recorded after they were given up.
    package static func reopen(_ db: PostgresConnection, following key: String, ignoredAs reason: String) throws {
        try db.query(
            """
            UPDATE slack_inbox SET state = 'pending', available_at = now(), processed_at = NULL
            WHERE state = 'ignored' AND follows_keys @> ARRAY[$1::text] AND last_error = $2
            """, [key, reason])
    }

    /// Seconds until the next pending event is due (0 or less when one is due now), nil when none is pending.
    package static func secondsUntilNextDue(_ db: PostgresConnection) throws -> Double? {
        try db.query("SELECT extract(epoch FROM min(available_at) - now())::float8 FROM slack_inbox WHERE state = 'pending'")[0].decode(0)
    }

    /// Deletes events handled more than `age` seconds ago (Slack retries an event for about an hour, so older rows no
    /// longer stop a duplicate); returns how many.
    @discardableResult
    package static func prune(_ db: PostgresConnection, olderThan age: Double) throws -> Int {
        try db.query(
            "DELETE FROM slack_inbox WHERE state <> 'pending' AND processed_at < now() - make_interval(secs => $1) RETURNING 1", [age]
        ).count
    }

    /// The state and last error of an event (for msgctl and the tests).
    package static func state(_ db: PostgresConnection, eventId: String) throws -> (state: State, lastError: String?)? {
        try db.query("SELECT state, last_error FROM slack_inbox WHERE event_id = $1", [eventId]).first.map { row throws(DatabaseError) in
            (State(rawValue: try row.decode("state")) ?? .pending, try row.decode("last_error"))
        }
    }
}
