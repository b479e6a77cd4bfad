/// The fields of a `reaction_added` / `reaction_removed` event (Events API) that decide whether it is a linked
/// admin's reaction on a message of a conversation's thread. Read leniently: a field of another type reads as absent.
package struct SlackReactionEvent: Decodable, Sendable, Equatable {
    package var type: String?
    package var user: String?
    package var reaction: String?
    package var item: Item?

    /// What was reacted to: `{"type": "message", "channel": "C...", "ts": "..."}` for a message.
    package struct Item: Decodable, Sendable, Equatable {
        package var type: String?
        package var channel: String?
        package var ts: String?

        package init(type: String? = "message", channel: String? = nil, ts: String? = nil) {
            self.type = type
            self.channel = channel
            self.ts = ts
        }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try? container.decodeIfPresent(String.self, forKey: .type)
            channel = try? container.decodeIfPresent(String.self, forKey: .channel)
            ts = try? container.decodeIfPresent(String.self, forKey: .ts)
        }

        enum CodingKeys: String, CodingKey { case type, channel, ts }
    }

    enum CodingKeys: String, CodingKey { case type, user, reaction, item }

    package init(type: String?, user: String? = nil, reaction: String? = nil, item: Item? = nil) {
        self.type = type
        self.user = user
        self.reaction = reaction
        self.item = item
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try? container.decodeIfPresent(String.self, forKey: .type)
        user = try? container.decodeIfPresent(String.self, forKey: .user)
        reaction = try? container.decodeIfPresent(String.self, forKey: .reaction)
        item = try? container.decodeIfPresent(Item.self, forKey: .item)
    }

    /// The event types this is.
    static let types: Set<String> = ["reaction_added", "reaction_removed"]

    /// The longest short name taken (Slack's are at most 100 characters, with a skin tone).
    static let maximumNameLength = 100

    /// True for `reaction_added` and `reaction_removed` events, whatever their fields.
    package var isReaction: Bool { type.map(Self.types.contains) ?? false }

    /// The reaction this event is, or why it is none to take: a person's (not this app's, `botUserIds`) reaction on a
    /// message, with ids and a short name of the expected shapes.
    package func change(botUserIds: Set<String>) -> Result<SlackReactionChange, SlackIgnoredReaction> {
        guard let type, Self.types.contains(type) else { return .failure(.notAReaction) }
        guard let user, SlackWebAPI.isIdentifier(user) else { return .failure(.noUser) }
        guard !botUserIds.contains(user) else { return .failure(.fromBot) }
        guard let item, item.type == "message", let channel = item.channel, let ts = item.ts, SlackWebAPI.isIdentifier(channel),
            SlackWebAPI.isIdentifier(ts)
        else { return .failure(.notOnAMessage) }
        guard let reaction, !reaction.isEmpty, reaction.utf8.count <= Self.maximumNameLength,
            reaction.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return .failure(.badName) }
        return .success(SlackReactionChange(slackUserId: user, channelId: channel, ts: ts, name: reaction, added: type == "reaction_added"))
    }
}

/// A person's reaction added to or removed from a Slack message.
package struct SlackReactionChange: Sendable, Equatable {
    package var slackUserId: String
    package var channelId: String
    /// The `ts` of the message reacted to.
    package var ts: String
    /// Slack's short name (`thumbsup`, `+1::skin-tone-2`).
    package var name: String
    package var added: Bool
}

/// Why a reaction event is not one to take.
package enum SlackIgnoredReaction: Error, Sendable, Equatable, CustomStringConvertible {
    case notAReaction
    case noUser
    case fromBot
    case notOnAMessage
    case badName

    package var description: String {
        switch self {
        case .notAReaction: "not a reaction event"
        case .noUser: "a reaction without a usable user"
        case .fromBot: "a reaction of this app"
        case .notOnAMessage: "a reaction on something other than a message"
        case .badName: "a reaction without a usable name"
        }
    }
}
