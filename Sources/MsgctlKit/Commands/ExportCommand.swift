import ArgumentParser
import Foundation
import MsgLib

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export messages as JSON lines, CSV, mbox or Markdown; incrementally with --state (for cron).",
        discussion: """
            Messages come ordered by conversation, then time, streamed from one snapshot of the database. With --output \
            the file appears complete or not at all (temporary file, fsync, rename). With --state FILE each run exports \
            exactly the messages added since the last successful run with that file, even while others write; a second \
            run with the same state file exits with status 75 (or waits, with --wait). Messages edited or deleted \
            after they were exported are not exported again: a full export gives the current state. On a terminal, standard \
            error shows the rows written, the rate and the time left against the planner's estimate (not when the \
            messages themselves go to the terminal). See docs/export.md.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "jsonl, csv, mbox or markdown.") var format: ExportFormat = .jsonl
    @Option(help: ArgumentHelp("Only this conversation: its id, an id prefix, or the user's username.", valueName: "conversation"))
    var conversation: String?
    @Option(help: ArgumentHelp("Only messages sent by this user (username or id).", valueName: "user")) var user: String?
    @Option(help: ArgumentHelp("Only messages created at or after this time: RFC 3339, or an age like 30d, 12h.", valueName: "time"))
    var since: String?
    @Option(help: ArgumentHelp("Only messages created before this time: RFC 3339, or an age like 30d, 12h.", valueName: "time"))
    var until: String?
    @Flag(help: "Soft-deleted messages too (with their deleted_at).") var includeDeleted = false
    @Flag(help: "Each message's edits (the text replaced), deletions and restores, with who and when (jsonl, csv, markdown).")
    var includeHistory = false
    @Option(help: ArgumentHelp("Write to this file, atomically (default: standard output).", valueName: "file")) var output: String?
    @Option(help: ArgumentHelp("Export only what is new since the last run with this state file.", valueName: "file")) var state: String?
    @Flag(help: "With --state: wait for a run using the same state file to finish instead of exiting with status 75.")
    var wait = false
    @Flag(help: "With --format csv: write fields exactly, without the ' that keeps a spreadsheet from reading =, +, -, @ as a formula.")
    var noFormulaEscape = false
    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        if conversation != nil && user != nil {
            throw ValidationError("--conversation and --user cannot be used together: export the conversation, or what the user sent")
        }
        for (name, value) in [("--since", since), ("--until", until)] {
            if let value, TimeWindow.parse(value) == nil { throw ValidationError("\(name) \"\(value)\" is not a time: use \(TimeWindow.expected)") }
        }
        if let since, let until, let start = TimeWindow.parse(since), let end = TimeWindow.parse(until), start >= end {
            throw ValidationError("--since must be before --until")
        }
        if state != nil && until != nil {
            throw ValidationError("--until cannot be used with --state: an incremental export always runs up to now")
        }
        if wait && state == nil { throw ValidationError("--wait only applies with --state") }
        if noFormulaEscape && format != .csv { throw ValidationError("--no-formula-escape only applies with --format csv") }
        if includeHistory && format == .mbox { throw ValidationError("--include-history applies to --format jsonl, csv and markdown") }
        if output?.isEmpty == true { throw ValidationError("--output needs a file name") }
        if state?.isEmpty == true { throw ValidationError("--state needs a file name") }
    }

    func run() async throws {
        Exporter.installSignalCleanup()
        // Not over the messages themselves when they go to the terminal.
        let line = ProgressLine(enabled: progress.showsProgress && (output != nil || !FileOutput.standardOutput.isTerminal))
        defer { line.stop() }
        let summary = try await connection.withService { service in
            var request = ExportRequest(
                format: format, since: since, until: until, includeDeleted: includeDeleted, outputPath: output, statePath: state,
                waitForLock: wait, formulaEscape: !noFormulaEscape)
            request.includeHistory = includeHistory
            if let conversation { request.conversationId = try await service.resolveConversation(conversation).conversation.id }
            if let user {
                let name = user
                guard let found = try await service.user(named: name) else {
                    throw ServiceError(.notFound, "no user \"\(name)\"")
                }
                request.senderId = found.id
            }
            return try await Exporter.run(request, service: service, progress: line)
        }
        line.stop()
        if FileOutput.standardError.isTerminal {
            var line = "exported \(messages(summary.messages))" + (output.map { " to \(TerminalText.escaped($0))" } ?? "")
            if state != nil {
                line += summary.horizon.map { ", up to \($0.rfc3339)" } ?? ", nothing final yet"
                if summary.waitingFor > 0 { line += " (\(summary.waitingFor) open transaction(s) hold the rest back)" }
            }
            FileOutput.standardError.write(line + "\n")
        }
    }
}
