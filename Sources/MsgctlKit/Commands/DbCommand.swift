import ArgumentParser
import MsgLib

struct DbCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Manage the database schema.", subcommands: [Migrate.self, Status.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply every pending migration (idempotent; safe to run from several processes at once).",
            discussion: "On a terminal, standard error shows the step under way (a backfill, an index build) and its time.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var progress: ProgressOptions

        func run() async throws {
            let line = progress.line()
            defer { line.stop() }
            // A migration's index build on a large table takes minutes: no statement_timeout from the connection string,
            // PGOPTIONS, the role or the database cuts it short, from the first statement on (msgrelay --migrate does the
            // same).
            let applied = try await connection.withDatabase(overrides: Migrator.sessionOverrides) { db in
                try Migrator().migrate(db) { event in Self.show(event, on: line) }.map { ($0.id, $0.name) }
            }
            line.stop()
            if output.json {
                // The version as a number, as `db status --json` gives it.
                struct Applied: Encodable {
                    var version: Int
                    var name: String
                }
                try JSONOutput.print(["applied": applied.map { Applied(version: $0.0, name: $0.1) }])
                return
            }
            if applied.isEmpty {
                FileOutput.standardOutput.write("schema is up to date\n")
            }
            for (id, name) in applied {
                FileOutput.standardOutput.write("applied \(id) \(name)\n")
            }
        }

        /// The progress line of a migration event: `db migrate: 25 message_client_keys, validate the client_key
        /// check (step 2 of 4), 12s elapsed`.
        static func show(_ event: Migrator.Event, on line: ProgressLine) {
            switch event {
            case .waitingForLock:
                line.begin("db migrate: waiting for another process's migration to finish")
            case .stepStarted(let migration, let step):
                let count = migration.namedSteps.count
                let what = count == 1 ? "" : ", \(migration.namedSteps[step - 1].name) (step \(step) of \(count))"
                line.begin("db migrate: \(migration.id) \(migration.name)\(what)")
            case .stepFinished:
                line.end()
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the migrations, applied and pending.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: TableOutputOptions

        func run() async throws {
            let status = try await connection.withDatabase { db in try Migrator().status(db) }
            if output.json {
                struct Row: Encodable {
                    var version: Int
                    var name: String
                    var applied: Bool
                    var applied_at: Timestamp?
                }
                try JSONOutput.print(status.map { Row(version: $0.id, name: $0.name, applied: $0.isApplied, applied_at: $0.appliedAt) })
                return
            }
            var table = TextTable("VERSION", "NAME", "STATE", "APPLIED AT")
            for item in status {
                table.append([
                    TableCell(String(item.id)), TableCell(item.name),
                    TableCell(
                        human: item.isApplied ? "applied" : "pending", machine: item.isApplied ? "applied" : "pending", emphasised: !item.isApplied),
                    .time(item.appliedAt),
                ])
            }
            let pending = status.filter { !$0.isApplied }.count
            output.print(table, footer: "\(status.count - pending) applied, \(pending) pending\n")
        }
    }
}
