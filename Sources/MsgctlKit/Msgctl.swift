import ArgumentParser
import Glibc
import MsgLib

/// The root command: its subcommands, and how the process ends.
package struct Msgctl: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "msgctl",
        abstract: "Administer msgrelay messaging: conversations, replies, users, tokens, the database schema.",
        discussion: """
            msgctl works on the database directly: DATABASE_URL (libpq URI or key=value), or libpq's PG* variables,
            ~/.pgpass and service files when it is unset; --database-url overrides both. See msgctl(1).
            """,
        version: "msgctl \(MsgLibInfo.version)",
        subcommands: [
            ListCommand.self, ShowCommand.self, SearchCommand.self, ReplyCommand.self, EditCommand.self, ReactCommand.self, ReadCommand.self,
            ArchiveCommand.self,
            UnarchiveCommand.self, DeleteCommand.self, DbCommand.self, UserCommand.self, TokenCommand.self, VapidCommand.self,
            PushCommand.self, SlackCommand.self, StatsCommand.self, ReplCommand.self,
            ExportCommand.self, AttachmentsCommand.self, DoctorCommand.self, TailCommand.self,
            PurgeCommand.self,
        ])

    /// Runs the command line; every error ends as one line on stderr and a documented exit status.
    package static func main() async {
        do {
            // `msgctl` alone on a terminal opens the REPL; elsewhere it prints the usage.
            let arguments = Array(CommandLine.arguments.dropFirst())
            var command = try parseAsRoot(arguments.isEmpty && isatty(0) == 1 && isatty(1) == 1 ? ["repl"] : arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            try FileOutput.checkStandardOutput()
        } catch let error as any ClassifiedError {
            exitWithError("msgctl", error)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileOutput.standardError.write(TerminalText.escaped(fullMessage(for: error), multiline: true) + "\n")
                Msgctl.exit(withError: ExitCode(ExitStatus.usage.rawValue))
            }
            exit(withError: error)
        }
    }
}
