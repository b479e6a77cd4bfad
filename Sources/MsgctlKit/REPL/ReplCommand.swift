import ArgumentParser
import Foundation
import MsgLib

struct ReplCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Chat live in the terminal: see conversations, open one, read, reply, and watch messages arrive (default on a terminal).",
        discussion: """
            Commands in the style of psql: \\l list, \\o USER open, \\n next unread, \\h history, \\s QUERY search, \\r read, \\a archive, \
            \\u unarchive, \\e FILE export, \\m multi-line reply (end with a lone .), \\c close, \\set history all|commands, \\? help, \\q quit. Any other line replies \
            in the open conversation. Live updates come from the relay's WebSocket, signed in as the admin with --token or with a token \
            made from JWT_SECRET; without either, or while the relay is unreachable, the commands work on the database alone. \
            History (backslash commands only, unless \\set history all; mode 0600): $XDG_DATA_HOME/msgctl/history \
            (~/.local/share/msgctl/history); key bindings from ~/.editrc.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @OptionGroup var relay: RelayOptions
    @OptionGroup var token: RelayTokenOptions

    func run() async throws {
        guard FileOutput.standardOutput.isTerminal, isatty(STDIN_FILENO) == 1 else {
            throw UserFacingError("the REPL needs a terminal; use the other subcommands in scripts (msgctl --help)", exitStatus: .usage)
        }
        let environment = ProcessInfo.processInfo.environment
        let relayURL = try relay.liveURL(environment)
        let pool = try connection.makePool()
        defer { Task { await pool.shutdown() } }
        let service = MessagingService(pool: pool)
        let viewer = try await service.admin(named: admin.admin)
        var live: LiveConnection?
        if let bearer = token.bearer(for: viewer, environment) {
            // The first socket resumes from where the console started (the unread ones before are summed up at start):
            // with the relay down or slow then, what came meanwhile is replayed when it answers. Then from cursors (a
            // message id would miss a message committed after it but numbered before).
            live = try LiveConnection(relay: relayURL, token: bearer, from: await LiveConnection.startingNow(service))
        }
        let session = try ReplSession(service: service, admin: viewer, live: live, historyFile: Self.historyFile(environment))
        // The session blocks in poll(): on a thread of its own, never one of Swift's few task threads.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                session.run()
                done.resume()
            }
        }
    }

    /// `$XDG_DATA_HOME/msgctl/history`, or `~/.local/share/msgctl/history`.
    static func historyFile(_ environment: [String: String]) -> String? {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/msgctl/history" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.local/share/msgctl/history"
    }
}
