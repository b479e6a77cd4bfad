import Foundation

/// A click on a button of a conversation's parent message: the `payload` of a `block_actions` interaction.
package struct SlackInteraction: Sendable, Equatable {
    /// What the buttons do; the `action_id`s of the parent message's buttons.
    package enum Action: String, Sendable, Equatable {
        case markRead = "mark_read"
        case archive
        case unarchive
        /// A link button (to the admin page): Slack opens the link itself, there is nothing to do.
        case view
    }

    package var slackUserId: String
    package var action: Action
    /// The conversation the button is for (its `value`); nil for `view`, which needs none.
    package var conversationId: UUID?
    /// Where Slack takes a delayed answer, if it gave one.
    package var responseURL: String?
    /// Slack's id of this click (`trigger_id`), when it gave a plausible one: the same click again is not carried out.
    package var triggerId: String?
    /// The workspace the click comes from (`team.id`, else `user.team_id`).
    package var teamId: String?

    private struct Payload: Decodable {
        struct Person: Decodable {
            var id: String
            var team_id: String?
        }
        struct Team: Decodable { var id: String? }
        struct Element: Decodable {
            var action_id: String
            var value: String?
        }
        var type: String
        var user: Person
        var actions: [Element]?
        var response_url: String?
        var trigger_id: String?
        var team: Team?
    }

    /// Parses the `payload` field of the form Slack posts.
    /// - Throws: ``SlackRequestError`` for malformed JSON, another interaction type, an unknown action or a button value
    ///   that is not a conversation id.
    package static func parse(_ payload: String) throws(SlackRequestError) -> SlackInteraction {
        let decoded: Payload
        do {
            decoded = try JSONDecoder().decode(Payload.self, from: Data(payload.utf8))
        } catch {
            throw SlackRequestError("payload must be a JSON object with type, user.id and actions")
        }
        guard decoded.type == "block_actions" else { throw SlackRequestError("Only block_actions interactions are handled") }
        guard SlackEventEnvelope.isPlainIdentifier(decoded.user.id) else { throw SlackRequestError("user.id is not a Slack user id") }
        guard let first = decoded.actions?.first else { throw SlackRequestError("block_actions without an action") }
        guard let action = Action(rawValue: first.action_id) else {
            throw SlackRequestError("Unknown action_id \"\(TerminalText.escaped(String(first.action_id.prefix(40))))\"")
        }
        var conversationId: UUID?
        if action != .view {
            guard let value = first.value, let id = UUID(uuidString: value) else {
                throw SlackRequestError("The button's value must be a conversation id")
            }
            conversationId = id
        }
        // Kept by the same rule as a slash command's (1 to 255 visible ASCII characters): Slack does not promise a shape.
        let triggerId = decoded.trigger_id.flatMap { try? ClientKey.header($0) }
        return SlackInteraction(
            slackUserId: decoded.user.id, action: action, conversationId: conversationId, responseURL: decoded.response_url, triggerId: triggerId,
            teamId: decoded.team?.id ?? decoded.user.team_id)
    }
}
