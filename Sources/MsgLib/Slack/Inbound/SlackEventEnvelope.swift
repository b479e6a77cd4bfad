import Foundation

/// A request of Slack's Events API: the `url_verification` handshake, or an `event_callback` wrapping one event.
///
/// Decoding is lenient about the event's fields (events of other types carry fields of other shapes, e.g. `channel`
/// as an object): a field of an unexpected type reads as absent, so such an event is ignored, not refused.
package struct SlackEventEnvelope: Decodable, Sendable, Equatable {
    package var type: String
    /// The `url_verification` challenge to echo.
    package var challenge: String?
    package var eventId: String?
    /// The workspace the event comes from (`team_id`).
    package var teamId: String?
    package var event: SlackMessageEvent?
    /// The same event read as a reaction (`reaction_added`, `reaction_removed`).
    package var reaction: SlackReactionEvent?
    /// The users the event was delivered for; `is_bot` ones are the app's own bot user.
    package var authorizations: [Authorization]

    package struct Authorization: Decodable, Sendable, Equatable {
        package var userId: String?
        package var isBot: Bool?

        enum CodingKeys: String, CodingKey {
            case userId = "user_id"
            case isBot = "is_bot"
        }

        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            userId = try? container.decodeIfPresent(String.self, forKey: .userId)
            isBot = try? container.decodeIfPresent(Bool.self, forKey: .isBot)
        }

        package init(userId: String?, isBot: Bool?) {
            self.userId = userId
            self.isBot = isBot
        }
    }

    enum CodingKeys: String, CodingKey {
        case type, challenge, event, authorizations
        case eventId = "event_id"
        case teamId = "team_id"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        challenge = try? container.decodeIfPresent(String.self, forKey: .challenge)
        eventId = try? container.decodeIfPresent(String.self, forKey: .eventId)
        teamId = try? container.decodeIfPresent(String.self, forKey: .teamId)
        event = try? container.decodeIfPresent(SlackMessageEvent.self, forKey: .event)
        reaction = try? container.decodeIfPresent(SlackReactionEvent.self, forKey: .event)
        authorizations = (try? container.decodeIfPresent([Authorization].self, forKey: .authorizations)) ?? []
    }

    package init(
        type: String, challenge: String? = nil, eventId: String? = nil, event: SlackMessageEvent? = nil, reaction: SlackReactionEvent? = nil,
        authorizations: [Authorization] = []
    ) {
        self.type = type
        self.challenge = challenge
        self.eventId = eventId
        self.event = event
        self.reaction = reaction
        self.authorizations = authorizations
    }

    /// Parses a request body. - Throws: ``SlackRequestError`` when it is not a JSON object with a string `type`.
    package static func parse(_ body: [UInt8]) throws(SlackRequestError) -> SlackEventEnvelope {
        do {
            return try JSONDecoder().decode(SlackEventEnvelope.self, from: Data(body))
        } catch {
            throw SlackRequestError("The body must be a JSON object with a \"type\"")
        }
    }

    /// What to do with the request.
    package enum Disposition: Sendable, Equatable {
        /// Answer the `url_verification` handshake with this challenge.
        case challenge(String)
        /// Store the event under this id, to be handled from the inbox.
        case accept(eventId: String)
        /// Answer 200 and do nothing, for this reason.
        case ignore(String)
    }

    /// The longest `event_id` and challenge accepted (Slack's are a few dozen characters).
    static let maximumIdLength = 255

    /// What to do with the request. - Throws: ``SlackRequestError`` for a handshake without a challenge or an event
    /// without a usable `event_id`.
    package func disposition() throws(SlackRequestError) -> Disposition {
        switch type {
        case "url_verification":
            guard let challenge, !challenge.isEmpty, challenge.utf8.count <= Self.maximumIdLength else {
                throw SlackRequestError("url_verification needs a challenge of 1 to \(Self.maximumIdLength) characters")
            }
            return .challenge(challenge)
        case "event_callback":
            guard let eventId, Self.isPlainIdentifier(eventId) else {
                throw SlackRequestError("event_callback needs an event_id of 1 to \(Self.maximumIdLength) letters, digits, '-' or '_'")
            }
            if let reaction, reaction.isReaction {
                switch reaction.change(botUserIds: botUserIds) {
                case .success: return .accept(eventId: eventId)
                case .failure(let reason): return .ignore(reason.description)
                }
            }
            switch threadReply() {
            case .success: return .accept(eventId: eventId)
            case .failure(let reason): return .ignore(reason.description)
            }
        default:
            return .ignore("not an event: \(type.prefix(40))")
        }
    }

    /// The app's own bot users, from `authorizations`.
    package var botUserIds: Set<String> {
        Set(authorizations.compactMap { $0.isBot == true ? $0.userId : nil })
    }

    /// The thread reply this event is, or why it is none.
    package func threadReply() -> Result<SlackReplyEvent, SlackIgnoredEvent> {
        guard let event else { return .failure(.notAMessage) }
        return event.threadReply(botUserIds: botUserIds)
    }

    /// The reaction this event is, nil when it is no reaction event (then it may be a reply), or why it is none to take.
    package func reactionChange() -> Result<SlackReactionChange, SlackIgnoredReaction>? {
        guard let reaction, reaction.isReaction else { return nil }
        return reaction.change(botUserIds: botUserIds)
    }

    /// Where the event stands among the others (``SlackEventOrder``).
    package var order: SlackEventOrder {
        switch reactionChange() {
        case .success(let change)?:
            let post = SlackEventOrder.postKey(channelId: change.channelId, ts: change.ts)
            return SlackEventOrder(keys: [post], follows: [post])
        case .failure?: return SlackEventOrder()
        case nil: break
        }
        guard case .success(let reply) = threadReply() else { return SlackEventOrder() }
        let thread = SlackEventOrder.threadKey(channelId: reply.channelId, threadTs: reply.threadTs)
        let post = reply.ts.map { SlackEventOrder.postKey(channelId: reply.channelId, ts: $0) }
        return SlackEventOrder(keys: [thread] + (post.map { [$0] } ?? []), follows: [thread])
    }

    /// True for 1 to ``maximumIdLength`` ASCII letters, digits, `-` and `_`.
    package static func isPlainIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= maximumIdLength
            && text.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D || byte == 0x5F
            }
    }
}

/// A request from Slack that cannot be used: answered 400 with this message.
package struct SlackRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

/// What an inbox event is and refers to (`keys`: a reply's thread and the reply itself, a reaction's message) and which
/// of those it follows: an event is handled after the pending events received before it whose keys hold one it follows.
/// Replies in one thread keep their order, and a reaction follows the reply it is on and the reactions before it; a
/// reply never waits for a reaction (one on it, received first, waits for the reply instead).
package struct SlackEventOrder: Sendable, Equatable {
    package var keys: [String] = []
    package var follows: [String] = []

    /// The key of the replies in a thread.
    package static func threadKey(channelId: String, threadTs: String) -> String { "thread:\(channelId):\(threadTs)" }

    /// The key of one Slack message (a reply, a post the relay made).
    package static func postKey(channelId: String, ts: String) -> String { "post:\(channelId):\(ts)" }
}
