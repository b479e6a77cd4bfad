extension MessagingService {
    /// Throws unless the database answers a trivial query.
    public func checkDatabase() async throws {
        try await pool.withConnection { db in try HealthRepository.ping(db) }
    }

    /// Whether a pooled connection reaches a server that takes writes: false on a standby (in recovery) or a
    /// read-only session. - Throws: when the database does not answer.
    public func checkWritable() async throws -> Bool {
        try await pool.withConnection { db in try HealthRepository.isWritable(db) }
    }

    /// What `msgctl doctor` shows of the database connection.
    package struct DatabaseInfo: Sendable, Equatable {
        /// `server_version`, such as "15.8".
        package var serverVersion: String
        /// The sslmode libpq applies (`prefer` unless the connection string or PGSSLMODE says otherwise).
        package var sslMode: String
        /// The TLS version in use, nil when the connection is not encrypted.
        package var tls: String?
        /// The host libpq connected to: a name, an address, or a socket folder (starting with `/`).
        package var host: String?
        /// Whether a writable primary answers (not a standby, not a read-only session).
        package var writable: Bool
    }

    /// The server's version, how the connection is secured, and where it goes.
    package func databaseInfo() async throws -> DatabaseInfo {
        try await pool.withConnection { db in
            let (version, tls) = try HealthRepository.serverAndTLS(db)
            return DatabaseInfo(
                serverVersion: version, sslMode: db.effectiveSetting("sslmode") ?? "prefer", tls: tls,
                host: db.connectedHost, writable: try HealthRepository.isWritable(db))
        }
    }

    /// This host's clock just before and just after asking the database's, and the database's: the database read
    /// its clock between the two.
    package func sampleClocks() async throws -> (before: Timestamp, database: Timestamp, after: Timestamp) {
        try await pool.withConnection { db in
            try HealthRepository.ping(db)  // the connection is open: the sample times one round trip only
            let before = Timestamp.now()
            let database = try HealthRepository.clock(db)
            return (before, database, Timestamp.now())
        }
    }

    /// The notification outbox's backlog and its oldest failure.
    package func outboxHealth() async throws -> OutboxHealth {
        try await pool.withConnection { db in try OutboxRepository.health(db) }
    }
}
