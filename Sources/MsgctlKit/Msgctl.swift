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

    /// The usage to print when `command` is a group without one of its subcommands, or `help` naming no command there
    /// is; nil otherwise.
    static func missingSubcommandUsage(_ command: any ParsableCommand, arguments: [String]) -> String? {
        let type = Swift.type(of: command)
        if !type.configuration.subcommands.isEmpty { return helpMessage(for: type) + "\n" }
        guard type.configuration.commandName == "help", let requested = arguments.drop(while: { $0 != "help" }).dropFirst().first,
            !requested.hasPrefix("-")
        else { return nil }
        let known = configuration.subcommands.map { $0.configuration.commandName ?? "" } + ["help"]
        guard !known.contains(requested) else { return nil }
        return "msgctl: no command \(TerminalText.escaped(requested)); see msgctl --help\n"
    }

    /// Runs the command line; every error ends as one line on stderr and a documented exit status.
    package static func main() async {
        do {
            // `msgctl` alone on a terminal opens the REPL; elsewhere it prints the usage.
            let arguments = Array(CommandLine.arguments.dropFirst())
            var command = try parseAsRoot(arguments.isEmpty && isatty(0) == 1 && isatty(1) == 1 ? ["repl"] : arguments)
            // A group named without one of its commands (`msgctl`, `msgctl user`; `msgctl help` of an unknown command):
            // the usage on stderr and status 2, so that a script whose command came out empty does not pass for done.
            if let usage = Self.missingSubcommandUsage(command, arguments: arguments) {
                FileOutput.standardError.write(usage)
                Msgctl.exit(withError: ExitCode(ExitStatus.usage.rawValue))
            }
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
