import ArgumentParser
import Foundation
import MsgLib
import MsgctlKit

/// `msgbench export`: helpers for bench/export.sh (the corpus itself comes from `msgbench search load`).
struct ExportBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export benchmark helpers: the reference statement, and the row transport alone.",
        subcommands: [ExportSQLCommand.self, ExportTransportCommand.self])
}

/// Prints the statement msgctl export streams, on one line, for psql's `\copy (...) to FILE`.
struct ExportSQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sql", abstract: "Print the SELECT that msgctl export runs (no filters).")

    @Flag(help: "With soft-deleted messages.") var includeDeleted = false

    func run() {
        let statement = ExportQuery(includeDeleted: includeDeleted).selectStatement
        print(statement.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "))
    }
}

/// Fetches the export's rows without formatting them, through COPY (binary) or a server-side cursor in batches,
/// to compare the two ways of streaming a large result.
struct ExportTransportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport", abstract: "Stream the export's rows without formatting: COPY binary, or a cursor fetched in batches.")

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case copy, cursor
    }

    @Option(help: "libpq connection string (default: DATABASE_URL).") var databaseURL: String?
    @Option(help: "copy or cursor.") var method: Method = .copy
    @Option(help: "Rows per FETCH (cursor).") var batch = 1000

    func run() async throws {
        let db = PostgresConnection(conninfo: databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "")
        try db.connect()
        let statement = ExportQuery().selectStatement
        try db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        let started = nowNanoseconds()
        var rows = 0
        var bytes = 0
        switch method {
        case .copy:
            // Rows counted by their field-count words would need the parser; the bytes are what matters here.
            try db.copyOut("COPY (\(statement)) TO STDOUT (FORMAT binary)") { chunk in bytes += chunk.count }
        case .cursor:
            try db.execute("DECLARE export_rows NO SCROLL CURSOR FOR \(statement)")
            while true {
                let fetched = try db.query("FETCH \(batch) FROM export_rows")
                if fetched.isEmpty { break }
                rows += fetched.count
                for row in fetched { bytes += (try row.decode(3, as: String.self)).utf8.count }  // content only
            }
        }
        let seconds = Double(nowNanoseconds() - started) / 1e9
        if method == .copy { rows = try db.query("SELECT count(*) FROM (\(statement)) s")[0].decode(0, as: Int.self) }
        try db.execute("COMMIT")
        Report.print(
            ["rows": Double(rows), "seconds": seconds, "rows_per_second": Double(rows) / seconds, "mib": Double(bytes) / 1_048_576], json: false)
    }
}
