/// The queries that tell whether the database answers, and whether it takes writes.
enum HealthRepository {
    /// Runs `SELECT 1`.
    static func ping(_ db: PostgresConnection) throws {
        try db.query("SELECT 1")
    }

    /// True when the server is a primary (not in recovery) and this session may write.
    static func isWritable(_ db: PostgresConnection) throws -> Bool {
        try db.query("SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'")[0].decode(0, as: Bool.self)
    }
}
