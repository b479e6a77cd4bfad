import Foundation

/// Applies ``Migration``s in order and records them in `schema_migrations`.
///
/// `migrate` holds a PostgreSQL advisory lock for its whole run, so several processes migrating one
/// database at once take turns: the first applies, the others find nothing left to do. A process waiting for
/// the lock polls for it between short statements instead of blocking inside one: a statement blocked on the
/// lock keeps a snapshot open, and `CREATE INDEX CONCURRENTLY` in the lock holder waits for every such snapshot
/// to end, which PostgreSQL would report as a deadlock.
package struct Migrator: Sendable {
    /// A migration and whether (and when) it was applied.
    package struct Status: Sendable, Equatable {
        package var id: Int
        package var name: String
        package var appliedAt: Timestamp?
        package var isApplied: Bool { appliedAt != nil }
    }

    /// The advisory lock that serialises migrations, in PostgreSQL's two-key space ("msgr", "migr" in ASCII): apart
    /// from the one-key locks, among them the one a relay holds for its whole life (``MessagingService/claimCounting(on:)``).
    static let lockKeys: (Int32, Int32) = (0x6d73_6772, 0x6d69_6772)

    package let migrations: [Migration]

    package init(migrations: [Migration] = Migration.all) {
        self.migrations = migrations.sorted { $0.id < $1.id }
    }

    /// Every known migration with its state, in order.
    package func status(_ db: PostgresConnection) throws -> [Status] {
        let applied = try appliedVersions(db)
        return migrations.map { Status(id: $0.id, name: $0.name, appliedAt: applied[$0.id]) }
    }

    /// The migrations not yet applied.
    package func pending(_ db: PostgresConnection) throws -> [Migration] {
        let applied = try appliedVersions(db)
        return migrations.filter { applied[$0.id] == nil }
    }

    /// What ``migrate(_:observer:)`` is doing, for a progress display.
    package enum Event: Sendable {
        /// Another process holds the migration lock; this one waits for it.
        case waitingForLock
        /// A step starts: `step` of `migration` (numbered from 1 of `migration.namedSteps.count`).
        case stepStarted(migration: Migration, step: Int)
        /// The last step started is done.
        case stepFinished
    }

    /// The session settings migrations run with, winning over the connection string's and the role's
    /// (``DatabaseConfiguration/overrides``): an index build on a large table takes minutes.
    package static let sessionOverrides = ["statement_timeout": "0"]

    /// Applies every pending migration, each in its own transaction with its record (non-transactional ones step
    /// by step, recorded after their last step).
    /// - Parameter observer: told of each step as it starts and ends, on the calling thread.
    /// - Returns: the migrations this call applied (empty when the schema was already current).
    @discardableResult
    package func migrate(_ db: PostgresConnection, observer: (Event) -> Void = { _ in }) throws -> [Migration] {
        var waiting = false
        while try !db.query("SELECT pg_try_advisory_lock($1::int4, $2::int4)", [Self.lockKeys.0, Self.lockKeys.1])[0].decode(0, as: Bool.self) {
            if !waiting { observer(.waitingForLock) }
            waiting = true
            usleep(50_000)
        }
        if waiting { observer(.stepFinished) }
        defer { _ = try? db.query("SELECT pg_advisory_unlock($1::int4, $2::int4)", [Self.lockKeys.0, Self.lockKeys.1]) }
        try db.execute(
            """
            SET client_min_messages = warning;
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            );
            RESET client_min_messages;
            """)
        let applied = try appliedVersions(db)
        var done: [Migration] = []
        for migration in migrations where applied[migration.id] == nil {
            let record = {
                try db.query(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [migration.id, migration.name])
            }
            if migration.transactional {
                observer(.stepStarted(migration: migration, step: 1))
                try Self.retryingLockWaits {
                    try db.transaction {
                        try db.execute("SET LOCAL lock_timeout = '\(Self.lockTimeoutMilliseconds)ms'")
                        try db.execute(migration.sql)
                        try record()
                    }
                }
                observer(.stepFinished)
            } else {
                for (index, step) in migration.namedSteps.enumerated() {
                    observer(.stepStarted(migration: migration, step: index + 1))
                    try db.execute(step.sql)
                    observer(.stepFinished)
                }
                try record()
            }
            done.append(migration)
        }
        return done
    }

    /// How long a transactional migration waits for a table lock (an `ALTER TABLE` behind a long transaction) before
    /// giving up and trying again: while it waits, every later query on that table waits behind it.
    static let lockTimeoutMilliseconds = 2000
    /// How often it tries (about ten minutes in all, a second apart), then gives up with the last error.
    static let lockAttempts = 200

    /// Runs `body`, again after a pause when it gave up waiting for a lock (55P03) or lost a deadlock (40P01).
    static func retryingLockWaits(_ body: () throws -> Void) throws {
        var attempt = 1
        while true {
            do {
                return try body()
            } catch let error as DatabaseError where ["55P03", "40P01"].contains(error.sqlState ?? "") && attempt < lockAttempts {
                attempt += 1
                usleep(1_000_000)
            }
        }
    }

    private func appliedVersions(_ db: PostgresConnection) throws -> [Int: Timestamp] {
        let exists = try db.query("SELECT to_regclass('schema_migrations') IS NOT NULL")
        guard try exists.first?.decode(0, as: Bool.self) == true else { return [:] }
        var out: [Int: Timestamp] = [:]
        for row in try db.query("SELECT version, applied_at FROM schema_migrations") {
            out[try row.decode(0)] = try row.decode(1, as: Timestamp.self)
        }
        return out
    }
}
