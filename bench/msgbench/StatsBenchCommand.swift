import ArgumentParser
import Foundation
import MsgLib

/// The statistics benchmark: migration 31 (the index on creation time) on a loaded corpus (`msgbench search load
/// --schema 30 --ending-now`) while the busiest conversation keeps receiving messages, and the reference statements of
/// `msgctl stats` as a psql script.
struct StatsBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Statistics benchmark: time migration 31, print the reference statements.",
        subcommands: [StatsMigrateCommand.self, StatsReferenceCommand.self])
}

/// Applies a migration (31 by default) step by step while a probe inserts into the busiest conversation every
/// `interval` ms, and reports the steps' times and the probe's latencies.
struct StatsMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Time a migration (31) while inserting.")

    @Option(help: "libpq connection string (default: DATABASE_URL).") var databaseURL: String?
    @Option(help: "Milliseconds between two probe inserts.") var interval = 10.0
    @Option(help: "The migration to time; every one before it must be applied.") var migration = 31

    func run() async throws {
        let conninfo = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        // The busiest conversation of the corpus.
        let probe = try ProbeInserter(
            conninfo: conninfo, conversationId: SearchCorpus.conversationId(1), senderId: SearchCorpus.userId(1), interval: interval)
        let db = PostgresConnection(conninfo: conninfo)
        try db.connect()
        let migrator = Migrator(migrations: Migration.all.filter { $0.id <= migration })
        guard try migrator.pending(db).map(\.id) == [migration] else {
            throw BenchError("load the corpus with --schema \(migration - 1) first")
        }
        var figures: [String: Double] = [:]
        let started = nowNanoseconds()
        for (i, step) in Migration.all.first(where: { $0.id == migration })!.namedSteps.enumerated() {
            let t = nowNanoseconds()
            try db.execute(step.sql)
            figures["step\(i + 1)_seconds"] = Double(nowNanoseconds() - t) / 1e9
        }
        figures["migration_seconds"] = Double(nowNanoseconds() - started) / 1e9
        try migrator.migrate(db)
        figures.merge(probe.finish()) { first, _ in first }
        Report.print(figures, json: false)
    }
}

/// The reference statements of `msgctl stats` (the plain SQL over the messages) as a psql script for one window.
struct StatsReferenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reference", abstract: "Print the reference statements for psql.")

    @Option(help: "Start of the window, RFC 3339.") var since: String
    @Option(help: "End of the window, RFC 3339.") var until: String
    @Option(help: "Time zone of the days.") var timezone = "UTC"

    func run() async throws {
        let quoted = { (text: String) in "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        print("PREPARE days (timestamptz, timestamptz, text) AS \(StatisticsRepository.referenceDaysSQL);")
        print("PREPARE activity (timestamptz, timestamptz) AS \(StatisticsRepository.referenceActivitySQL);")
        print("PREPARE response (timestamptz, timestamptz) AS \(StatisticsRepository.referenceResponseSQL);")
        print("EXECUTE days (\(quoted(since)), \(quoted(until)), \(quoted(timezone)));")
        print("EXECUTE activity (\(quoted(since)), \(quoted(until)));")
        print("EXECUTE response (\(quoted(since)), \(quoted(until)));")
    }
}
