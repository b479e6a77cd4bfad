import Foundation

/// Block Kit pieces the Web API messages are made of, encoded as Slack documents them.
enum SlackBlocks {
    struct Text: Encodable, Equatable {
        var type: String
        var text: String

        static func mrkdwn(_ text: String) -> Text { Text(type: "mrkdwn", text: text) }
        static func plain(_ text: String) -> Text { Text(type: "plain_text", text: text) }
    }

    struct Button: Encodable, Equatable {
        var type = "button"
        var actionId: String
        var text: Text
        var value: String
        var url: String?
        var style: String?

        enum CodingKeys: String, CodingKey {
            case type
            case actionId = "action_id"
            case text, value, url, style
        }
    }

    struct Block: Encodable, Equatable {
        var type: String
        var blockId: String?
        var text: Text?
        var elements: [Element]?

        enum CodingKeys: String, CodingKey {
            case type
            case blockId = "block_id"
            case text, elements
        }
    }

    /// An element of an `actions` block (a button) or of a `context` block (a text).
    enum Element: Encodable, Equatable {
        case button(Button)
        case text(Text)

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .button(let button): try button.encode(to: encoder)
            case .text(let text): try text.encode(to: encoder)
            }
        }
    }

    /// A post's message metadata: the id of the message it shows, by which a post whose answer was lost is found
    /// again (``SlackPostLookup``).
    struct Metadata: Encodable, Equatable {
        var eventType = SlackPostLookup.eventType
        var eventPayload: Payload

        struct Payload: Encodable, Equatable {
            var messageId: String

            enum CodingKeys: String, CodingKey { case messageId = "message_id" }
        }

        init(messageId: UUID) { eventPayload = Payload(messageId: messageId.lowercasedString) }

        enum CodingKeys: String, CodingKey {
            case eventType = "event_type"
            case eventPayload = "event_payload"
        }
    }

    /// The most characters of a message's top-level `text` (Slack truncates beyond; we cut first).
    static let messageTextLimit = 40_000

    /// JSON as Slack reads it: no escaped slashes, keys in a stable order.
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return Array((try? encoder.encode(value)) ?? Data())
    }
}
