/// One versioned schema change, embedded in the binaries.
package struct Migration: Sendable, Identifiable {
    /// Applied in increasing order; recorded in `schema_migrations.version`.
    package let id: Int
    /// A short name, for `msgctl db status`.
    package let name: String
    /// SQL run as one script. Holds no values from outside: migrations are fixed text.
    package let sql: String
    /// Runs inside a transaction (with its record) unless false, for statements such as
    /// `CREATE INDEX CONCURRENTLY` that refuse one.
    package let transactional: Bool
    /// What a non-transactional migration runs, one script after another, each committing on its own (a script of
    /// several statements is still one implicit transaction). Each must be safe to run again after an interruption.
    /// For a transactional migration, `[sql]`.
    package let steps: [String]

    package init(id: Int, name: String, transactional: Bool = true, sql: String) {
        self.id = id
        self.name = name
        self.sql = sql
        self.transactional = transactional
        self.steps = [sql]
    }

    /// A non-transactional migration made of `steps` run in order.
    package init(id: Int, name: String, steps: [String]) {
        self.id = id
        self.name = name
        self.sql = steps.joined(separator: "\n")
        self.transactional = false
        self.steps = steps
    }
}
