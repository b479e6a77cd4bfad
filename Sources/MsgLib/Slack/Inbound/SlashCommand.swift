/// A `/msg` slash command, parsed from the text typed after the command name.
///
///     /msg list                 unread conversations
///     /msg show USER            a user's conversation, newest messages
///     /msg reply USER TEXT      send TEXT to USER's conversation
///     /msg search QUERY         full-text search of every conversation
///     /msg help                 the usage
///
/// USER is a username (a leading `@` is dropped) or a conversation id or its prefix, as msgctl takes them.
package enum SlashCommand: Sendable, Equatable {
    case list
    case show(user: String)
    case reply(user: String, text: String)
    case search(query: String)
    case help
    /// Not a command: the usage follows `problem`.
    case usage(problem: String)

    /// The command `text` holds (Slack's text, mrkdwn escapes and all; `reply`'s text is kept as typed).
    package static func parse(_ text: String) -> SlashCommand {
        let (word, rest) = firstWord(of: Substring(text))
        let name = word.lowercased()
        switch name {
        case "", "help":
            return .help
        case "list":
            return rest.isEmpty ? .list : .usage(problem: "`list` takes no arguments.")
        case "show":
            let (user, extra) = firstWord(of: rest)
            guard !user.isEmpty, extra.isEmpty else { return .usage(problem: "`show` takes one user.") }
            return .show(user: userName(user))
        case "reply":
            let (user, message) = firstWord(of: rest)
            guard !user.isEmpty, !message.isEmpty else { return .usage(problem: "`reply` takes a user and the text to send.") }
            return .reply(user: userName(user), text: String(message))
        case "search":
            guard !rest.isEmpty else { return .usage(problem: "`search` takes the words to look for.") }
            return .search(query: String(rest))
        default:
            return .usage(problem: "Unknown subcommand `\(SlackNotice.escape(String(word.prefix(40))))`.")
        }
    }

    /// The usage, in mrkdwn.
    package static func usageText(command: String = "/msg") -> String {
        let c = SlackNotice.escape(String(command.prefix(40)))
        return """
            *Usage:*
            `\(c) list`: unread conversations
            `\(c) show USER`: the newest messages of a user's conversation
            `\(c) reply USER TEXT`: send TEXT to the user's conversation
            `\(c) search QUERY`: search every conversation
            `\(c) help`: this help
            USER is a username or a conversation id.
            """
    }

    /// The first word of `text` (words end at white space, new lines included) and what follows it, both without the
    /// white space around them.
    static func firstWord(of text: Substring) -> (word: Substring, rest: Substring) {
        let trimmed = text.drop { $0.isWhitespace }
        let word = trimmed.prefix { !$0.isWhitespace }
        var rest = trimmed[word.endIndex...].drop { $0.isWhitespace }
        while let last = rest.last, last.isWhitespace { rest = rest.dropLast() }
        return (word, rest)
    }

    /// A user as typed: `@bob` and `bob` both name bob.
    static func userName(_ word: Substring) -> String {
        String(word.hasPrefix("@") ? word.dropFirst() : word)
    }
}
