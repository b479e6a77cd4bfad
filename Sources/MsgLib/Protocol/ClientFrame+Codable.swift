import Foundation

extension ClientFrame: Codable {
    private enum Keys: String, CodingKey { case type, data }

    /// Decodes and checks a frame; throws ``Invalid`` for an unknown type or too many ids, `DecodingError` for
    /// the rest (``parse(_:)`` turns both into `error` frames).
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "send_message":
            let data = try c.decode(SendData.self, forKey: .data)
            let attachments = data.attachment_ids?.map(\.value) ?? []
            guard attachments.count <= AttachmentConfiguration.maxPerMessage else {
                throw Invalid(
                    code: "invalid_request", message: "A message may carry at most \(AttachmentConfiguration.maxPerMessage) attachments")
            }
            self = .sendMessage(
                conversationId: data.conversation_id?.value, content: data.content, attachmentIds: attachments, clientId: data.client_id?.value)
        case "mark_read":
            let ids = try c.decode(ReadData.self, forKey: .data).message_ids.map(\.value)
            guard !ids.isEmpty, ids.count <= Self.markReadLimit else {
                throw Invalid(code: "invalid_request", message: "data.message_ids must hold 1 to \(Self.markReadLimit) message ids")
            }
            self = .markRead(messageIds: ids)
        case "typing":
            let data = try c.decode(TypingData.self, forKey: .data)
            self = .typing(conversationId: data.conversation_id.value, isTyping: data.is_typing)
        case "ping":
            self = .ping
        case "resume":
            let data = try c.decode(ResumeData.self, forKey: .data)
            do {
                guard let point = try ResumePoint.parse(cursor: data.cursor, lastMessageId: data.last_message_id) else {
                    throw Invalid(code: "invalid_request", message: "data.cursor or data.last_message_id is required")
                }
                self = .resume(point)
            } catch let error as ResumePointError {
                throw Invalid(code: "invalid_request", message: error.message)
            }
        case "add_reaction", "remove_reaction":
            let data = try c.decode(ReactionData.self, forKey: .data)
            self = .reaction(messageId: data.message_id.value, emoji: data.emoji, add: type == "add_reaction")
        default:
            throw Invalid(code: "unknown_type", message: "Unknown frame type \"\(type)\"")
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .sendMessage(let conversationId, let content, let attachmentIds, let clientId):
            try c.encode("send_message", forKey: .type)
            try c.encode(
                SendData(
                    conversation_id: conversationId.map(UUIDField.init), content: content,
                    attachment_ids: attachmentIds.isEmpty ? nil : attachmentIds.map(UUIDField.init), client_id: clientId.map(UUIDField.init)),
                forKey: .data)
        case .markRead(let messageIds):
            try c.encode("mark_read", forKey: .type)
            try c.encode(ReadData(message_ids: messageIds.map(UUIDField.init)), forKey: .data)
        case .typing(let conversationId, let isTyping):
            try c.encode("typing", forKey: .type)
            try c.encode(TypingData(conversation_id: UUIDField(conversationId), is_typing: isTyping), forKey: .data)
        case .ping:
            try c.encode("ping", forKey: .type)
        case .reaction(let messageId, let emoji, let add):
            try c.encode(add ? "add_reaction" : "remove_reaction", forKey: .type)
            try c.encode(ReactionData(message_id: UUIDField(messageId), emoji: emoji), forKey: .data)
        case .resume(.cursor(let cursor)):
            try c.encode("resume", forKey: .type)
            try c.encode(ResumeData(cursor: cursor.token), forKey: .data)
        case .resume(.messageId(let lastMessageId)):
            try c.encode("resume", forKey: .type)
            try c.encode(ResumeData(last_message_id: lastMessageId.lowercasedString), forKey: .data)
        }
    }

    private struct SendData: Codable {
        var conversation_id: UUIDField?
        var content: String
        var attachment_ids: [UUIDField]? = nil
        var client_id: UUIDField? = nil
    }

    private struct ReadData: Codable { var message_ids: [UUIDField] }

    private struct TypingData: Codable {
        var conversation_id: UUIDField
        var is_typing: Bool
    }

    private struct ReactionData: Codable {
        var message_id: UUIDField
        var emoji: String
    }

    private struct ResumeData: Codable {
        var cursor: String?
        var last_message_id: String?
    }
}

/// The `client_id` of a `send_message` frame that is otherwise refused, read on its own.
enum SendClientId {
    private struct Frame: Decodable {
        var type: String
        var data: Data
        struct Data: Decodable { var client_id: UUIDField? }
    }

    static func of(_ text: String) -> UUID? {
        guard let frame = try? JSONDecoder().decode(Frame.self, from: Foundation.Data(text.utf8)), frame.type == "send_message" else { return nil }
        return frame.data.client_id?.value
    }
}
