/// One versioned schema change, embedded in the binaries.
package struct Migration: Sendable, Identifiable {
    /// One script of a non-transactional migration, with what it does in words (`msgctl db migrate` shows it while
    /// it runs).
    package struct Step: Sendable {
        package let name: String
        package let sql: String

        package init(_ name: String, _ sql: String) {
            self.name = name
            self.sql = sql
        }

        /// Drops `index` when an interrupted `CREATE INDEX CONCURRENTLY` left it invalid, so that the build step after it
        /// (`IF NOT EXISTS`) builds it again instead of keeping the invalid one.
        static func dropInvalidIndex(_ index: String) -> Step {
            Step(
                "drop an index left invalid by an interrupted build",
                """
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = to_regclass('\(index)') AND NOT indisvalid) THEN
                        DROP INDEX \(index);
                    END IF;
                END
                $$;
                """)
        }
    }

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
    /// For a transactional migration, one step: `sql`, named after the migration.
    package let namedSteps: [Step]

    /// The SQL of ``namedSteps``, in order.
    package var steps: [String] { namedSteps.map(\.sql) }

    package init(id: Int, name: String, transactional: Bool = true, sql: String) {
        self.id = id
        self.name = name
        self.sql = sql
        self.transactional = transactional
        self.namedSteps = [Step(name, sql)]
    }

    /// A non-transactional migration made of `steps` run in order.
    package init(id: Int, name: String, steps: [Step]) {
        self.id = id
        self.name = name
        self.sql = steps.map(\.sql).joined(separator: "\n")
        self.transactional = false
        self.namedSteps = steps
    }
}
