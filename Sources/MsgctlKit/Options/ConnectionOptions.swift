import ArgumentParser
import Foundation
import MsgLib

/// Where the database is; shared by every command that reads or writes it.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp("libpq connection string or URI (default: DATABASE_URL, then PG* variables).", valueName: "url"))
    var databaseURL: String?

    /// A pool of up to `size` connections (opened as they are needed) on the database these options name. A server that
    /// does not answer fails a connection after ``connectTimeout`` seconds (unless the connection string sets its own
    /// `connect_timeout`), not after the kernel's two minutes of SYN retries.
    func makePool(size: Int = 1, overrides: [String: String] = [:]) throws -> DatabasePool {
        let conninfo = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        var configuration = DatabaseConfiguration(conninfo: conninfo, poolSize: size, applicationName: "msgctl")
        configuration.connectTimeout = Self.connectTimeout
        configuration.overrides = overrides
        return DatabasePool(configuration: configuration)
    }

    static let connectTimeout = 10

    /// Runs `body` on one database connection (on a thread of its own), then closes it.
    /// `overrides`: session settings that win over the connection string's and the role's (see
    /// ``DatabaseConfiguration/overrides``).
    func withDatabase<T: Sendable>(
        overrides: [String: String] = [:], _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let pool = try makePool(overrides: overrides)
        do {
            let value = try await pool.withConnection(body)
            await pool.shutdown()
            return value
        } catch {
            await pool.shutdown()
            throw error
        }
    }
}

/// Output format switches shared by commands that print data.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (stable field names, the same as the REST API).")
    var json = false
}

/// Output format switches of commands that print a table.
struct TableOutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (stable field names, the same as the REST API).")
    var json = false
    @Flag(help: "Print the table as CSV (RFC 4180, times in RFC 3339 UTC, a ' before fields that start like a formula).")
    var csv = false
    @Flag(help: "With --csv: write fields exactly, without the ' that keeps a spreadsheet from reading =, +, -, @ as a formula.")
    var noFormulaEscape = false

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv cannot be used together") }
        if noFormulaEscape && !csv { throw ValidationError("--no-formula-escape only applies with --csv") }
    }

    /// Prints `table` aligned for people, or as CSV with --csv.
    func print(_ table: TextTable, footer: String = "") {
        if csv {
            FileOutput.standardOutput.writeData(table.csv(formulaEscape: !noFormulaEscape))
        } else {
            FileOutput.standardOutput.write(table.render() + footer)
        }
    }
}
