import ArgumentParser
import Foundation
import MsgLib

struct AttachmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attachments", abstract: "Attachment files: read one, remove unattached uploads and files of deleted messages.",
        discussion: "Uses the store ATTACHMENT_STORE names (see docs/attachments.md).",
        subcommands: [AttachmentsGetCommand.self, AttachmentsCollectCommand.self, AttachmentsPurgeCommand.self])

    /// Runs `remove` (handed a callback for the files removed so far) with a progress line: files removed of the
    /// count `estimate` gives (asked only when the line shows), the rate, the time left.
    static func removing(
        _ title: String, on line: ProgressLine, _ remove: (@escaping @Sendable (Int) -> Void) async throws -> FileRemoval,
        estimate: () async throws -> Int
    ) async throws -> FileRemoval {
        line.begin(title, unit: "files")
        if line.isEnabled {
            let total = try await estimate()
            line.update { $0.estimate = total }
        }
        return try await remove { removed in line.update { $0.done = removed } }
    }

    /// Fails (75: try again later) when the store would not remove some files, saying how many and why.
    static func check(_ removal: FileRemoval) throws {
        if let summary = removal.failureSummary { throw UserFacingError(summary, exitStatus: .tempFail) }
    }
}

extension ConnectionOptions {
    /// The attachment store the environment names (`ATTACHMENT_STORE`, `AWS_S3_BUCKET`), or nil when it names none.
    /// - Throws: ``UserFacingError`` when the settings are invalid.
    static func environmentAttachments() throws -> AttachmentSupport? {
        let environment = ProcessInfo.processInfo.environment
        do {
            return try AttachmentSupport.open(.fromEnvironment(environment, jwtSecret: environment["JWT_SECRET"] ?? "msgctl"), createLocal: false)
        } catch {
            throw UserFacingError(error.message, exitStatus: .config)
        }
    }

    /// Runs `body` with a service that has the attachment store of the environment.
    /// - Throws: ``UserFacingError`` when `ATTACHMENT_STORE` is unset or cannot be opened.
    func withAttachmentService<T: Sendable>(_ body: (MessagingService) async throws -> T) async throws -> T {
        guard let support = try Self.environmentAttachments() else {
            throw UserFacingError("ATTACHMENT_STORE is not set: attachments are off", exitStatus: .config)
        }
        return try await withService(attachments: support, body)
    }

    /// Runs `body` with a service that has `attachments` as its store (none when nil).
    func withService<T: Sendable>(attachments: AttachmentSupport?, _ body: (MessagingService) async throws -> T) async throws -> T {
        try await withService { service in
            var service = service
            service.attachments = attachments
            return try await body(service)
        }
    }
}

struct AttachmentsGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Write an attachment's file to a file or stdout.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The attachment's id.") var id: String
    @Option(name: .shortAndLong, help: "Write here (default: stdout, never a terminal).") var output: String?

    func validate() throws {
        guard UUID(uuidString: id) != nil else { throw ValidationError("the attachment id must be a UUID") }
    }

    func run() async throws {
        let id = UUID(uuidString: id)!
        if output == nil, isatty(1) == 1 {
            throw UserFacingError("refusing to write a file to the terminal: use -o FILE or a pipe", exitStatus: .usage)
        }
        let notStored = UserFacingError("the file of attachment \(id.lowercasedString) is not in the store (not uploaded?)", exitStatus: .noInput)
        let source = try await connection.withAttachmentService { service -> (local: String?, s3: (S3AttachmentStore, String)?) in
            let attachment = try await service.attachmentRecord(id: id)
            guard attachment.state != .purged else { throw UserFacingError("attachment \(id.lowercasedString) was purged", exitStatus: .noInput) }
            if let s3 = service.attachments?.store as? S3AttachmentStore { return (nil, (s3, attachment.storeKey)) }
            guard let local = service.attachments?.local else { throw UserFacingError("this store cannot be read here", exitStatus: .config) }
            return (try local.path(for: attachment.storeKey), nil)
        }
        // A file appears whole or not at all, 0600, never over a device or through a link; its temporary file goes
        // when a signal ends msgctl (as export's files).
        if output != nil { AtomicFile.installSignalCleanup() }
        let file = try output.map { path throws(UserFacingError) in try AtomicFile(path: path) }
        defer { file?.abandon() }
        let destination = ExportDestination(descriptor: file?.descriptor ?? 1, name: output ?? "standard output")
        func write(_ chunk: some ContiguousBytes) throws { try chunk.withUnsafeBytes { try destination.write($0) } }
        if let (store, key) = source.s3 {
            // In ranged pieces of at most 1 MiB: a file is never held whole.
            guard try await store.read(key: key, into: { try write($0) }) else { throw notStored }
        } else {
            guard let path = source.local, let input = FileHandle(forReadingAtPath: path) else { throw notStored }
            defer { try? input.close() }
            // In pieces: a file is never held whole.
            while let chunk = try input.read(upToCount: 256 * 1024), !chunk.isEmpty { try write(chunk) }
        }
        try file?.publish()
    }
}

struct AttachmentsCollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Remove uploads never attached to a message (older than ATTACHMENT_PENDING_SECONDS, default 24 h).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var progress: ProgressOptions

    func run() async throws {
        let line = progress.line()
        defer { line.stop() }
        let removed = try await connection.withAttachmentService { service in
            try await AttachmentsCommand.removing("attachments gc", on: line) {
                try await service.collectUnattachedAttachments(progress: $0)
            } estimate: {
                try await service.countUnattachedAttachments()
            }
        }
        line.stop()
        FileOutput.standardOutput.write("removed \(removed.removed) unattached upload\(removed.removed == 1 ? "" : "s")\n")
        try AttachmentsCommand.check(removed)
    }
}

struct AttachmentsPurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purge", abstract: "Remove the files of messages deleted long enough ago.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Messages deleted before this: \(TimeWindow.expected).") var deletedBefore: String
    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        let now = Timestamp.now()
        guard let cutoff = TimeWindow.parse(deletedBefore, now: now) else {
            throw ValidationError("--deleted-before must be \(TimeWindow.expected)")
        }
        // As `purge`: a cut-off in the future would take the files of messages deleted a moment ago.
        guard cutoff <= now else { throw ValidationError("--deleted-before must not be in the future") }
    }

    func run() async throws {
        let now = Timestamp.now()
        guard let time = TimeWindow.parse(deletedBefore, now: now) else {
            throw ValidationError("--deleted-before must be \(TimeWindow.expected)")
        }
        let line = progress.line()
        defer { line.stop() }
        let removed = try await connection.withAttachmentService { service in
            try await AttachmentsCommand.removing("attachments purge", on: line) {
                try await service.purgeDeletedAttachments(deletedBefore: time, progress: $0)
            } estimate: {
                try await service.countDeletedAttachments(deletedBefore: time)
            }
        }
        line.stop()
        FileOutput.standardOutput.write("removed \(removed.removed) file\(removed.removed == 1 ? "" : "s") of deleted messages\n")
        try AttachmentsCommand.check(removed)
    }
}
