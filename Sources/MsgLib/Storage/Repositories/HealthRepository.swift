/// The query that tells whether the database answers.
enum HealthRepository {
    /// Runs `SELECT 1`.
    static func ping(_ db: PostgresConnection) throws {
        try db.query("SELECT 1")
    }
}
