import Foundation

/// What tab completion offers for a console command's argument.
enum ReplCompletion: Equatable, Sendable {
    /// Nothing.
    case none
    /// Known usernames and conversation ids.
    case conversations
    /// These words.
    case words([String])
}

/// One backslash command of the console: how it is typed, what `\?` says of it, what completes its argument, and
/// what it does.
struct ReplCommandSpec: Sendable {
    /// `\l`, `\o`, ...
    let name: String
    /// The command with its argument, as `\?` and the usage message show it.
    let usage: String
    /// What the command does, for `\?`.
    let help: String
    /// True when the command needs an argument: without one it prints `usage: ` and ``usage``.
    let requiresArgument: Bool
    let completion: ReplCompletion
    /// Runs the command in `session` with its argument (trimmed, possibly empty).
    let run: @Sendable (_ session: ReplSession, _ argument: String) throws -> Void

    init(
        _ name: String, _ usage: String, _ help: String, requiresArgument: Bool = false, completion: ReplCompletion = .none,
        run: @escaping @Sendable (_ session: ReplSession, _ argument: String) throws -> Void
    ) {
        self.name = name
        self.usage = usage
        self.help = help
        self.requiresArgument = requiresArgument
        self.completion = completion
        self.run = run
    }
}

/// The console's commands, in the order `\?` lists them: the dispatcher, the help text and tab completion all
/// come from here.
enum ReplCommandTable {
    static let commands: [ReplCommandSpec] = [
        ReplCommandSpec("\\l", "\\l [unread|archived]", "list conversations", completion: .words(["unread", "archived"])) {
            try $0.listConversations($1)
        },
        ReplCommandSpec(
            "\\o", "\\o USER|ID", "open a conversation (shows its newest messages, back to the oldest unread one, and marks those read)",
            requiresArgument: true,
            completion: .conversations
        ) { try $0.openConversation($1) },
        ReplCommandSpec("\\n", "\\n", "open the next conversation with unread messages") { session, _ in try session.openNextUnread() },
        ReplCommandSpec("\\h", "\\h [N]", "show the open conversation's newest N messages (20)") { try $0.showMessages(limit: Int($1) ?? 20) },
        ReplCommandSpec("\\s", "\\s QUERY", "search every conversation", requiresArgument: true) { try $0.search($1) },
        ReplCommandSpec("\\r", "\\r", "mark the open conversation read") { session, _ in try session.markRead() },
        ReplCommandSpec("\\a", "\\a", "archive the open conversation and close it") { session, _ in try session.setArchived(true) },
        ReplCommandSpec("\\u", "\\u", "unarchive the open conversation") { session, _ in try session.setArchived(false) },
        ReplCommandSpec("\\e", "\\e FILE", "export the open conversation to FILE (Markdown)", requiresArgument: true) { try $0.export(to: $1) },
        ReplCommandSpec("\\m", "\\m", "write a long reply over several lines; a line with a single . sends it") { session, _ in
            session.startComposing()
        },
        ReplCommandSpec("\\c", "\\c", "close the open conversation") { session, _ in session.close() },
        ReplCommandSpec(
            "\\set", "\\set [NAME VALUE]", "show the settings or change one: history commands (the default: no replies) or all",
            completion: .words(["history"])
        ) { $0.set($1) },
        ReplCommandSpec("\\?", "\\?", "this help") { session, _ in session.showHelp() },
        ReplCommandSpec("\\q", "\\q", "quit (Ctrl-D too)") { session, _ in session.requestQuit() },
    ]

    /// The command typed as `name` (exactly: no abbreviations), or nil.
    static func command(named name: String) -> ReplCommandSpec? {
        commands.first { $0.name == name }
    }

    /// What `\?` prints.
    static var helpText: String {
        var text = "commands:"
        for command in commands { text += "\n  " + command.usage.padding(toLength: 22, withPad: " ", startingAt: 0) + command.help }
        return text + "\nany other line is a reply in the open conversation. Tab completes commands, usernames and ids."
    }

    /// Completion candidates for the word being typed after `line` (the text before it): command names at the start
    /// of a line, then what the command's ``ReplCompletion`` offers.
    static func completions(line: String, usernames: [String], conversationIds: [String]) -> [String] {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return commands.map(\.name) }
        switch command(named: trimmed)?.completion ?? ReplCompletion.none {
        case .none: return []
        case .conversations: return usernames + conversationIds
        case .words(let words): return words
        }
    }
}
