import Foundation
import MsgLib

/// What `msgctl export` was asked for.
package struct ExportRequest: Sendable {
    package var format: ExportFormat
    /// Only this conversation (already resolved from an id, prefix or username).
    package var conversationId: UUID?
    /// Only messages this user sent.
    package var senderId: UUID?
    /// `--since` / `--until` as typed (``TimeWindow/parse(_:now:)`` forms), resolved against the database clock.
    package var since: String?
    package var until: String?
    package var includeDeleted: Bool
    /// The output file, written atomically; nil for standard output.
    package var outputPath: String?
    /// The incremental state file; nil for a full export.
    package var statePath: String?
    /// Wait for another run holding the state file's lock instead of failing with `tempFail`.
    package var waitForLock: Bool
    /// How long a run waits for writers that were running when it started (``ExportHorizon``), in seconds.
    package var settleTimeout: Double
    /// CSV only: guard fields that start like a spreadsheet formula (``CSVField``); false for `--no-formula-escape`.
    package var formulaEscape: Bool
    /// Each message's edit and delete history too (JSON lines, CSV, Markdown).
    package var includeHistory = false

    package init(
        format: ExportFormat = .jsonl, conversationId: UUID? = nil, senderId: UUID? = nil, since: String? = nil, until: String? = nil,
        includeDeleted: Bool = false, outputPath: String? = nil, statePath: String? = nil, waitForLock: Bool = false, settleTimeout: Double = 1,
        formulaEscape: Bool = true
    ) {
        self.format = format
        self.conversationId = conversationId
        self.senderId = senderId
        self.since = since
        self.until = until
        self.includeDeleted = includeDeleted
        self.outputPath = outputPath
        self.statePath = statePath
        self.waitForLock = waitForLock
        self.settleTimeout = settleTimeout
        self.formulaEscape = formulaEscape
    }
}

/// What a run did.
package struct ExportSummary: Sendable, Equatable {
    /// Messages written.
    package var messages: Int
    /// Bytes written.
    package var bytes: Int
    /// With a state file: the new horizon (nil while unknown), and the writers it waits for.
    package var horizon: Timestamp?
    package var waitingFor: Int
}

/// Streams messages out of the database into one of the ``ExportFormat``s: the `msgctl export` command.
///
/// One `COPY (SELECT ...) TO STDOUT (FORMAT binary)` in a read-only REPEATABLE READ transaction (one snapshot),
/// decoded and formatted as the rows arrive: memory stays at a few hundred KiB whatever the size of the history.
/// See docs/export.md.
package enum Exporter {
    /// Why an incremental export refuses an output file that exists.
    static let keptOutput = "an export with --state writes a new file, never over one that may hold an earlier run's messages"

    /// Runs an export on one of the service's database connections (the export streams its rows with its own
    /// queries, see ``ExportQuery``).
    package static func run(_ request: ExportRequest, service: MessagingService) async throws -> ExportSummary {
        try await run(request, service: service, progress: nil)
    }

    /// ``run(_:service:)``, showing the rows written against the planner's estimate on `progress`.
    static func run(_ request: ExportRequest, service: MessagingService, progress: ProgressLine?) async throws -> ExportSummary {
        try await service.pool.withConnection { db in try run(request, on: db, progress: progress) }
    }

    /// Runs an export on `db` (a blocking call: run it on a thread of its own, as ``DatabasePool`` does).
    /// - Throws: ``UserFacingError`` (bad option values, output or state file problems, another run holding the
    ///   state), ``DatabaseError``. Nothing is published and the state is unchanged when it throws.
    package static func run(_ request: ExportRequest, on db: PostgresConnection) throws -> ExportSummary {
        try run(request, on: db, progress: nil)
    }

    /// ``run(_:on:)`` with an optional progress line.
    static func run(_ request: ExportRequest, on db: PostgresConnection, progress: ProgressLine?) throws -> ExportSummary {
        progress?.begin("export", unit: "rows")
        var lock: ExportLock?
        if let statePath = request.statePath { lock = try ExportLock(statePath: statePath, wait: request.waitForLock) }
        defer { lock?.release() }
        let database = try db.query("SELECT current_database()")[0].decode(0, as: String.self)
        let selection = ExportState.Selection(
            conversationId: request.conversationId?.lowercasedString, senderId: request.senderId?.lowercasedString,
            includeDeleted: request.includeDeleted)
        var state: ExportState?
        if let statePath = request.statePath {
            // A standby shows the primary's commits only once replayed, and none of its running writers: a horizon
            // taken there could pass a message committed a moment before and not replayed yet, which no later run takes.
            if try db.query("SELECT pg_is_in_recovery()")[0].decode(0, as: Bool.self) {
                throw UserFacingError(
                    "--state needs the primary server: this one is a standby, whose newest commits may not have arrived yet (export from it without --state)",
                    exitStatus: .config)
            }
            state = try loadState(statePath, database: database, selection: selection)
        }

        var file: AtomicFile?
        // An incremental run's file holds only what is new: replacing an earlier run's would lose its messages for good.
        if let outputPath = request.outputPath {
            file = try AtomicFile(path: outputPath, keeping: request.statePath == nil ? nil : Self.keptOutput)
        }
        defer { file?.abandon() }
        let destination =
            file.map { ExportDestination(descriptor: $0.descriptor, name: $0.path, writeBehindWindow: WriteBehind.window) }
            ?? ExportDestination(descriptor: 1, name: "standard output")

        var query = ExportQuery(conversationId: request.conversationId, senderId: request.senderId, includeDeleted: request.includeDeleted)
        query.includeHistory = request.includeHistory
        var observation: WriterObservation?
        var horizon: Timestamp?
        var waitingFor = 0
        if let state {
            let (observed, start) = try ExportHorizon.settle(db, after: state.cursor.observation, timeout: request.settleTimeout)
            observation = observed
            waitingFor = observed.writers.filter { $0.since.map { $0 < start } ?? true }.count
            horizon = [state.cursor.horizon, observed.horizon].compactMap { $0 }.max()
            query.idFrom = state.cursor.horizon.map(ExportHorizon.idFloor)
            query.idBelow = horizon.map(ExportHorizon.idFloor) ?? ExportHorizon.noId
        }

        var output = ExportOutput(destination)
        var request = request
        // `--since` limits the first run's backfill; a later run takes everything added since the run before.
        if state?.cursor.horizon != nil { request.since = nil }
        let messages = try exportSnapshot(request, &query, db, &output, progress)

        let summary = ExportSummary(messages: messages, bytes: output.written, horizon: horizon, waitingFor: waitingFor)
        guard var state, let statePath = request.statePath, let observation else {
            try file?.publish()
            return summary
        }
        let next = ExportState.Cursor(
            horizon: horizon, observation: observation, runs: state.cursor.runs + 1, messages: state.cursor.messages + messages,
            lastRun: .init(finishedAt: .now(), messages: messages, format: request.format.rawValue, output: request.outputPath))
        guard let file else {
            // A redirected file reaches the disk before the state moves (a pipe or a terminal: EINVAL). A failure (a
            // full disk or quota that NFS reports only here) stops the run before the state moves.
            if fsync(destination.descriptor) != 0, errno != EINVAL {
                let reason = String(cString: strerror(errno))
                throw UserFacingError("cannot flush standard output to disk: \(reason); the state file is unchanged", exitStatus: .cantCreate)
            }
            state.cursor = next
            try state.save(statePath)
            return summary
        }
        try file.sync()
        // From here the temporary file is the pending run's evidence: a signal must not remove it (a stray file at
        // worst, should the process die before the pending state is written).
        file.excludeFromSignalCleanup()
        state.pending = .init(
            temporaryFile: file.temporaryPath, output: AtomicFile.absolute(file.path), next: next,
            file: ExportState.FileIdentity(path: file.temporaryPath))
        try state.save(statePath)
        do {
            try file.publish()
        } catch {
            // Renamed but not flushed: the pending state already says what the next run must do (adopt it). Not
            // renamed: take the pending run back; if even that fails, the next run sees the temporary file and rolls
            // back, so leave the file for it.
            if !file.isPublished {
                state.pending = nil
                do { try state.save(statePath) } catch { file.keep() }
            }
            throw error
        }
        state.cursor = next
        state.pending = nil
        try state.save(statePath)
        return summary
    }

    /// Removes the temporary output file when SIGINT, SIGTERM or SIGHUP ends the process. Call once at start-up.
    package static func installSignalCleanup() {
        AtomicFile.installSignalCleanup()
    }

    private static func loadState(_ path: String, database: String, selection: ExportState.Selection) throws -> ExportState {
        guard var state = try ExportState.load(path) else {
            return ExportState(
                version: ExportState.currentVersion, database: database, selection: selection,
                cursor: .init(horizon: nil, observation: nil, runs: 0, messages: 0, lastRun: nil), pending: nil)
        }
        if state.recoverPending() { try state.save(path) }
        guard state.database == database else {
            throw UserFacingError("the state file \(path) belongs to database \"\(state.database)\", not \"\(database)\"", exitStatus: .usage)
        }
        guard state.selection == selection else {
            throw UserFacingError(
                "the state file \(path) was made with other filters (\(describe(state.selection))): give the same ones, or another state file",
                exitStatus: .usage)
        }
        return state
    }

    private static func describe(_ selection: ExportState.Selection) -> String {
        var parts: [String] = []
        if let conversation = selection.conversationId { parts.append("conversation \(conversation)") }
        if let sender = selection.senderId { parts.append("user \(sender)") }
        if selection.includeDeleted { parts.append("--include-deleted") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    /// The export transaction: one snapshot, times resolved against its clock, then the COPY.
    private static func exportSnapshot(
        _ request: ExportRequest, _ query: inout ExportQuery, _ db: PostgresConnection, _ output: inout ExportOutput, _ progress: ProgressLine?
    ) throws -> Int {
        try db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
            // A history takes as long as it takes: no statement_timeout from the connection string, PGOPTIONS or the role.
            try db.setLocal([("statement_timeout", "0")])
            let now = try db.query("SELECT now()")[0].decode(0, as: Timestamp.self)
            for (text, name) in [(request.since, "--since"), (request.until, "--until")] {
                guard let text else { continue }
                guard let time = TimeWindow.parse(text, now: now) else {
                    throw UserFacingError("\(name) \"\(text)\" is not a time: use \(TimeWindow.expected)", exitStatus: .usage)
                }
                if name == "--since" { query.since = time } else { query.until = time }
            }
            try query.setSettings(db)
            if let progress, progress.isEnabled, let estimate = try query.estimatedRows(db) { progress.update { $0.estimate = estimate } }
            let count: Int
            switch request.format {
            case .jsonl:
                var formatter = JSONLinesFormatter()
                formatter.includeHistory = request.includeHistory
                count = try stream(&formatter, query, db, &output, progress)
            case .csv:
                var formatter = CSVFormatter(formulaEscape: request.formulaEscape, includeHistory: request.includeHistory)
                count = try stream(&formatter, query, db, &output, progress)
            case .mbox:
                var formatter = MboxFormatter()
                count = try stream(&formatter, query, db, &output, progress)
            case .markdown:
                var formatter = MarkdownFormatter()
                formatter.includeHistory = request.includeHistory
                count = try stream(&formatter, query, db, &output, progress)
            }
            try db.execute("COMMIT")
            return count
        } catch {
            db.abandonTransaction()
            throw error
        }
    }

    /// Streams the query's rows through `formatter` into `output`; returns the number of rows.
    static func stream<F: ExportFormatter>(
        _ formatter: inout F, _ query: ExportQuery, _ db: PostgresConnection, _ output: inout ExportOutput, _ progress: ProgressLine? = nil
    ) throws -> Int {
        formatter.begin(&output)
        var parser = BinaryCopyParser()
        try db.copyOut(query.copyStatement) { chunk in
            try parser.parse(chunk) { row, bytes in formatter.write(row, bytes, &output) }
            if let progress {
                let rows = parser.rows
                progress.update { $0.done = rows }
            }
            try output.flushIfFull()
        }
        guard parser.sawTrailer else { throw BinaryCopyParser.malformed("the data ended before the trailer") }
        formatter.finish(&output)
        try output.flush()
        try output.destination.finish()
        return parser.rows
    }
}
