import Foundation

/// The ephemeral answers of the `/msg` slash command, in mrkdwn: everything that comes from users (names, message
/// text) is escaped, so that nobody's text can mention `<!channel>` or forge a link, and cut to stay short.
package enum SlashCommandAnswer {
    /// How much of a message a line shows.
    static let previewLimit = 300
    /// How many conversations `list` shows.
    package static let listLimit = 20
    /// How many messages `show` shows.
    package static let showLimit = 10
    /// How many hits `search` shows.
    package static let searchLimit = 10

    package static let notLinked =
        "Your Slack account is not linked to an admin of msgrelay, so nothing was done. An operator can link it with `msgctl slack link --admin NAME --slack-user YOUR_SLACK_ID`."

    /// `list`: the conversations with unread messages.
    package static func list(_ listings: [ConversationListing], total: Int) -> String {
        guard !listings.isEmpty else { return "No unread conversations." }
        var lines = ["*Unread conversations* (\(total)):"]
        for listing in listings {
            let preview = listing.lastMessagePreview.map { ": " + escape($0, limit: 100) } ?? ""
            lines.append("• \(who(listing.user)): \(listing.conversation.unreadCountAdmin) unread\(preview)")
        }
        if total > listings.count { lines.append("… and \(total - listings.count) more.") }
        return lines.joined(separator: "\n")
    }

    /// `show`: a conversation's newest messages, oldest first.
    package static func show(conversation: Conversation, user: User, messages: [MessageWithSender], total: Int) -> String {
        var state = "\(conversation.unreadCountAdmin) unread"
        if conversation.archivedByAdmin { state += ", archived" }
        var lines = ["\(who(user)), \(state), conversation `\(conversation.id.lowercasedString)`:"]
        if messages.isEmpty { lines.append("No messages.") }
        if total > messages.count { lines.append("(\(total - messages.count) earlier messages not shown)") }
        for item in messages {
            lines.append(
                "*\(escape(item.sender.displayName, limit: 80))* \(date(item.message.createdAt)): \(escape(item.message.content, limit: previewLimit))"
            )
        }
        return lines.joined(separator: "\n")
    }

    /// `reply`: what was sent.
    package static func sent(to user: User) -> String {
        "Sent to \(who(user))."
    }

    /// To a command or a button from a workspace the relay is not connected to.
    package static let otherWorkspace = "This Slack workspace is not the one msgrelay is connected to: nothing was done."

    /// `search`: the hits, best first.
    package static func search(query: String, hits: [MessageSearchHit], total: SearchTotal) -> String {
        guard !hits.isEmpty else { return "No messages match _\(escape(query, limit: 100))_." }
        var lines = ["*\(total) message\(total == SearchTotal(count: 1) ? "" : "s") match* _\(escape(query, limit: 100))_:"]
        for hit in hits {
            lines.append("• \(who(hit.user)) \(date(hit.message.createdAt)): \(snippet(hit.snippet))")
        }
        return lines.joined(separator: "\n")
    }

    /// A refusal of the service (`no conversation or user "x"`...), as an answer.
    package static func refused(_ error: ServiceError) -> String {
        escape(error.message, limit: 500)
    }

    /// The usage, after what was wrong with the command.
    package static func usage(problem: String?, command: String) -> String {
        (problem.map { $0 + "\n" } ?? "") + SlashCommand.usageText(command: command)
    }

    /// A user as `*Display Name* (username)`.
    static func who(_ user: User) -> String {
        "*\(escape(user.displayName, limit: 80))* (\(escape(user.username, limit: 80)))"
    }

    /// A time Slack shows in the reader's own time zone, with the UTC time as the fallback.
    static func date(_ time: Timestamp) -> String {
        "<!date^\(time.secondsSinceEpoch)^{date_short_pretty} {time}|\(time.rfc3339)>"
    }

    /// A search snippet, the matched words in bold.
    static func snippet(_ snippet: Snippet) -> String {
        var out = ""
        var used = 0
        for segment in snippet.segments where used < previewLimit {
            let piece = escape(segment.text, limit: previewLimit - used)
            used += segment.text.count
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            out += segment.highlighted && !trimmed.isEmpty ? piece.replacingOccurrences(of: trimmed, with: "*\(trimmed)*") : piece
        }
        return out.replacingOccurrences(of: "\n", with: " ")
    }

    /// `text` escaped for mrkdwn, on one line, cut to `limit` characters.
    static func escape(_ text: String, limit: Int) -> String {
        SlackNotice.escape(text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " "), limit: max(limit, 4))
    }
}
