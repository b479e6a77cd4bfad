/// The fields of an Events API event that decide whether it is an admin's reply in a conversation's thread.
package struct SlackMessageEvent: Decodable, Sendable, Equatable {
    package var type: String?
    package var subtype: String?
    package var channel: String?
    package var user: String?
    package var botId: String?
    package var text: String?
    package var ts: String?
    package var threadTs: String?

    enum CodingKeys: String, CodingKey {
        case type, subtype, channel, user, text, ts
        case botId = "bot_id"
        case threadTs = "thread_ts"
    }

    package init(
        type: String? = "message", subtype: String? = nil, channel: String? = nil, user: String? = nil, botId: String? = nil,
        text: String? = nil, ts: String? = nil, threadTs: String? = nil
    ) {
        self.type = type
        self.subtype = subtype
        self.channel = channel
        self.user = user
        self.botId = botId
        self.text = text
        self.ts = ts
        self.threadTs = threadTs
    }

    /// Reads each field leniently: one of another type reads as absent.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func string(_ key: CodingKeys) -> String? { try? container.decodeIfPresent(String.self, forKey: key) }
        self.init(
            type: string(.type), subtype: string(.subtype), channel: string(.channel), user: string(.user), botId: string(.botId),
            text: string(.text), ts: string(.ts), threadTs: string(.threadTs))
    }

    /// Subtypes that are still a person's reply: `thread_broadcast` is a thread reply also shown in the channel,
    /// `file_share` one with files (its text is taken; the files are not: the app has no file scope).
    static let replySubtypes: Set<String> = ["thread_broadcast", "file_share"]

    /// The reply this event is, or why it is none: only a person's new message inside a thread counts, with files or
    /// not; bot messages (`bot_id`, `bot_message`), the app's own posts (`botUserIds`), edits, deletions, joins and every
    /// other subtype, top-level messages and those without text do not.
    package func threadReply(botUserIds: Set<String>) -> Result<SlackReplyEvent, SlackIgnoredEvent> {
        guard type == "message" else { return .failure(.notAMessage) }
        if let subtype, !Self.replySubtypes.contains(subtype) { return .failure(.subtype(String(subtype.prefix(40)))) }
        guard botId == nil else { return .failure(.fromBot) }
        guard let user, !user.isEmpty else { return .failure(.noUser) }
        guard !botUserIds.contains(user) else { return .failure(.fromBot) }
        guard let channel, !channel.isEmpty, let ts, let threadTs, !threadTs.isEmpty, threadTs != ts else { return .failure(.notInThread) }
        guard let text, !text.isEmpty else { return .failure(subtype == "file_share" ? .filesOnly : .empty) }
        return .success(
            SlackReplyEvent(slackUserId: user, channelId: channel, threadTs: threadTs, text: text, ts: SlackWebAPI.isIdentifier(ts) ? ts : nil))
    }
}

/// A person's message in a Slack thread.
package struct SlackReplyEvent: Sendable, Equatable {
    package var slackUserId: String
    package var channelId: String
    package var threadTs: String
    /// The text as Slack sent it (mrkdwn).
    package var text: String
    /// The message's own `ts` (nil when it is not of Slack's shape), which reactions on it name.
    package var ts: String? = nil
}

/// Why an event is not a thread reply to take in.
package enum SlackIgnoredEvent: Error, Sendable, Equatable, CustomStringConvertible {
    case notAMessage
    case subtype(String)
    case fromBot
    case noUser
    case notInThread
    case empty
    case filesOnly

    package var description: String {
        switch self {
        case .notAMessage: "not a message event"
        case .subtype(let subtype): "a message of subtype \(subtype)"
        case .fromBot: "posted by a bot or by this app"
        case .noUser: "a message without a user"
        case .notInThread: "not a reply in a thread"
        case .empty: "an empty message"
        case .filesOnly: "files without text: files shared in Slack are not forwarded"
        }
    }
}
