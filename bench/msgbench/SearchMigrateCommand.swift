import ArgumentParser
import Foundation
import MsgLib

/// Applies migration 12 to a corpus loaded at schema 11 (`msgbench search load --schema 11`) while another
/// connection keeps inserting messages, and reports how long the migration took and how long inserts waited.
///
/// `--variant generated` applies instead the alternative that migration 12 decided against: a stored generated
/// column (`ALTER TABLE ... GENERATED ALWAYS AS (...) STORED`, which rewrites the table under an ACCESS EXCLUSIVE
/// lock) and the same index, so the two can be compared on the same data.
struct SearchMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Time the search migration on a loaded table while measuring concurrent inserts.")

    @Option(help: "libpq connection string (default: DATABASE_URL).") var databaseURL: String?
    @Option(help: "migration (migration 12, step by step, then through the migrator) or generated (the alternative).")
    var variant = "migration"
    @Option(help: "Milliseconds between two probe inserts.") var interval = 10.0

    static let generatedColumnSQL = [
        "ALTER TABLE messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED",
        "CREATE INDEX CONCURRENTLY idx_messages_search_vector ON messages USING gin (search_vector) WHERE deleted_at IS NULL",
        "ANALYZE messages",
    ]

    func run() async throws {
        guard variant == "migration" || variant == "generated" else { throw ValidationError("--variant: migration or generated") }
        let conninfo = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        let lookup = PostgresConnection(conninfo: conninfo)
        try lookup.connect()
        let row = try lookup.query("SELECT id, user_id FROM conversations ORDER BY id LIMIT 1")
        guard let first = row.first else { throw BenchError("no conversation: run msgbench search load first") }
        let probe = try ProbeInserter(conninfo: conninfo, conversationId: try first.decode(0), senderId: try first.decode(1), interval: interval)
        let db = PostgresConnection(conninfo: conninfo)
        try db.connect()
        let started = nowNanoseconds()
        var stepSeconds: [Double] = []
        // Migration 12's steps are run and timed one by one, then the migrator runs them all again (each finds its
        // work done) and records the migration: the second pass shows what an interrupted run costs to resume.
        let upTo12 = Migrator(migrations: Migration.all.filter { $0.id <= 12 })
        guard try upTo12.pending(db).map(\.id) == [12] else { throw BenchError("load the corpus with --schema 11 first") }
        let steps = variant == "generated" ? Self.generatedColumnSQL : Migration.all.first { $0.id == 12 }!.steps
        for sql in steps {
            let t = nowNanoseconds()
            try db.execute(sql)
            stepSeconds.append(Double(nowNanoseconds() - t) / 1e9)
        }
        let seconds = Double(nowNanoseconds() - started) / 1e9
        let rerun = nowNanoseconds()
        if variant == "migration" { try upTo12.migrate(db) }
        let rerunSeconds = Double(nowNanoseconds() - rerun) / 1e9
        let probed = probe.finish()
        let nulls = try db.query("SELECT count(*) FROM messages WHERE search_vector IS NULL")[0].decode(0, as: Int.self)
        let size = try db.query("SELECT pg_relation_size('messages')")[0].decode(0, as: Int.self)
        var figures: [String: Double] = [
            "migration_seconds": seconds, "rerun_seconds": rerunSeconds, "rows_without_vector": Double(nulls),
            "messages_heap_mib": Double(size) / 1_048_576,
        ].merging(probed) { first, _ in first }
        for (i, s) in stepSeconds.enumerated() { figures["step\(i + 1)_seconds"] = s }
        Report.print(figures, json: false)
    }
}
