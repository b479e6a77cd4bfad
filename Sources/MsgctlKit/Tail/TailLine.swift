import Foundation
import MsgLib

/// One message as `msgctl tail` prints it: a line for people, or a JSON object on one line.
struct TailLine: Sendable {
    /// The conversation's user (the one the admins talk with).
    struct ConversationUser: Sendable, Equatable, Encodable {
        var id: String
        var username: String
        var displayName: String

        enum CodingKeys: String, CodingKey {
            case id, username
            case displayName = "display_name"
        }
    }

    var message: MessageRepresentation
    var conversationUser: ConversationUser

    /// `2026-11-26 14:03:12 [alice] admin: Yes, it left today. [attachment: label.pdf]`: local time, the conversation's
    /// user, the sender, the text on one line; names and text through ``TerminalText`` (line breaks show as `\u{A}`).
    var text: String {
        let files = message.attachments.map { " [attachment: \(TerminalText.escaped($0.filename))]" }.joined()
        return "\(HumanTime.formatSeconds(message.createdAt)) [\(TerminalText.escaped(conversationUser.username))] "
            + "\(TerminalText.escaped(message.sender.username)): \(TerminalText.escaped(message.content))\(files)"
    }

    /// The message's fields as the REST API names them (without the resume cursor), and `conversation_user`; keys
    /// sorted, exact text.
    var json: String {
        struct Object: Encodable {
            var message: MessageRepresentation
            var conversationUser: ConversationUser

            enum CodingKeys: String, CodingKey {
                case conversationUser = "conversation_user"
            }

            func encode(to encoder: any Encoder) throws {
                try message.encode(to: encoder)
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(conversationUser, forKey: .conversationUser)
            }
        }
        var message = message
        message.cursor = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Object(message: message, conversationUser: conversationUser))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
