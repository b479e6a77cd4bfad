extension MessagingService {
    /// Throws unless the database answers a trivial query.
    public func checkDatabase() async throws {
        try await pool.withConnection { db in try HealthRepository.ping(db) }
    }
}
