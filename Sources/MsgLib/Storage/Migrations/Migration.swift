/// One versioned schema change, embedded in the binaries.
public struct Migration: Sendable, Identifiable {
    /// Applied in increasing order; recorded in `schema_migrations.version`.
    public let id: Int
    /// A short name, for `msgctl db status`.
    public let name: String
    /// SQL run as one script. Holds no values from outside: migrations are fixed text.
    public let sql: String
    /// Runs inside a transaction (with its record) unless false, for statements such as
    /// `CREATE INDEX CONCURRENTLY` that refuse one.
    public let transactional: Bool

    public init(id: Int, name: String, transactional: Bool = true, sql: String) {
        self.id = id
        self.name = name
        self.sql = sql
        self.transactional = transactional
    }
}
