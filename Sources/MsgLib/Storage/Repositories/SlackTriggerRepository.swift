/// The button clicks from Slack already carried out, by `trigger_id` (``Migration/slackSpentTriggers``).
package enum SlackTriggerRepository {
    /// How long a spent trigger is remembered: beyond the 5 minutes a signed request is accepted.
    static let memory = 600

    /// Spends `triggerId`: true the first time, false when a click with it was already carried out. Forgets the
    /// expired ones.
    package static func spend(_ db: PostgresConnection, _ triggerId: String) throws -> Bool {
        try db.query("DELETE FROM slack_spent_triggers WHERE expires_at < now()")
        return try db.query(
            "INSERT INTO slack_spent_triggers (trigger_id, expires_at) VALUES ($1, now() + make_interval(secs => $2)) ON CONFLICT DO NOTHING",
            [triggerId, memory]
        ).affectedRows == 1
    }

    /// Forgets a spent `trigger_id` whose action failed, so that the same click sent again is carried out.
    package static func unspend(_ db: PostgresConnection, _ triggerId: String) throws {
        try db.query("DELETE FROM slack_spent_triggers WHERE trigger_id = $1", [triggerId])
    }
}
