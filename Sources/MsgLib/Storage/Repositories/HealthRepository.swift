/// The queries that tell whether the database answers, whether it takes writes, and what a health check shows of it.
enum HealthRepository {
    /// Runs `SELECT 1`.
    static func ping(_ db: PostgresConnection) throws {
        try db.query("SELECT 1")
    }

    /// True when the server is a primary (not in recovery) and this session may write.
    static func isWritable(_ db: PostgresConnection) throws -> Bool {
        try db.query("SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'")[0].decode(0, as: Bool.self)
    }

    /// The server's version, and the TLS version of this connection (nil without TLS).
    static func serverAndTLS(_ db: PostgresConnection) throws -> (version: String, tls: String?) {
        let row = try db.query(
            """
            SELECT current_setting('server_version'), (SELECT CASE WHEN ssl THEN version END FROM pg_stat_ssl WHERE pid = pg_backend_pid())
            """)[0]
        return (try row.decode(0), try row.decode(1))
    }

    /// The server's clock (`clock_timestamp()`, the time it is now, not the transaction's start).
    static func clock(_ db: PostgresConnection) throws -> Timestamp {
        try db.query("SELECT clock_timestamp()")[0].decode(0, as: Timestamp.self)
    }
}
