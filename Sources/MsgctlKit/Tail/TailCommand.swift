import ArgumentParser
import Foundation
import MsgLib

struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print new messages as they arrive, one line each (or one JSON object per line), until interrupted.",
        discussion: """
            Follows the relay's WebSocket as the admin (--token, or a token made from JWT_SECRET), from the moment it \
            starts (a relay down or slow then shows what was sent meanwhile once it answers): every new message of every \
            conversation (or of one user's with --user), users' and admins'. When the relay goes away it reconnects after \
            1, 2, 4 ... 30 s and resumes from its cursor, so the messages sent meanwhile appear, each once. A line is the \
            local time, [the conversation's user], the sender and the text, which cannot act on the terminal (control \
            characters show as \\u{..}; line breaks too). Connection notes go to standard error. A closed pipe \
            (msgctl tail | head -3) ends it quietly, with status 0.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @OptionGroup var relay: RelayOptions
    @OptionGroup var token: RelayTokenOptions
    @Flag(help: "One JSON object per line: the REST API's message fields and conversation_user.") var json = false
    @Option(help: ArgumentHelp("Only the conversation of this user (username or id).", valueName: "user")) var user: String?

    func run() async throws {
        // A reader that went away is an EPIPE to handle, not a signal that kills the process.
        signal(SIGPIPE, SIG_IGN)
        let environment = ProcessInfo.processInfo.environment
        let relayURL = try relay.liveURL(environment)
        let pool = try connection.makePool()
        defer { Task { await pool.shutdown() } }
        let service = MessagingService(pool: pool)
        let viewer = try await service.admin(named: admin.admin)
        var only: UUID?
        if let user {
            guard let found = try await service.user(named: user) else {
                throw UserFacingError("no user \"\(TerminalText.escaped(user))\"", exitStatus: .noUser)
            }
            only = found.id
        }
        guard let bearer = token.bearer(for: viewer, environment) else {
            throw UserFacingError(
                "JWT_SECRET is not set: tail signs in to the relay with a token made from it (or give --token)", exitStatus: .config)
        }
        let start = await LiveConnection.startingNow(service)
        let session = TailSession(
            service: service, admin: viewer, live: try LiveConnection(relay: relayURL, token: bearer, from: start), only: only, json: json)
        // The session blocks in poll(): on a thread of its own, never one of Swift's few task threads.
        let failure = await withCheckedContinuation { (done: CheckedContinuation<UserFacingError?, Never>) in
            Thread.detachNewThread { done.resume(returning: session.run()) }
        }
        if let failure { throw failure }
    }
}
