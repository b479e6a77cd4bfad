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
}
