import Foundation

/// A frame the server sends, as JSON text: `{"type": ..., "data": {...}}`.
public enum ServerFrame: Sendable {
    case connected(userId: UUID, connectionId: UUID, timestamp: Timestamp)
    case message(Message, sender: User)
    case messageRead(messageId: UUID, readAt: Timestamp, readBy: UUID?)
    case typing(conversationId: UUID, userId: UUID, isTyping: Bool)
    case pong(Timestamp)
    case error(code: String, message: String, retryAfter: Int?)
    /// Sent after a replay (unread messages on connect, or a resume): how many were replayed.
    case replayed(count: Int, truncated: Bool)

    /// The message id of a `message` frame, for de-duplication.
    package var messageId: UUID? {
        if case .message(let message, _) = self { return message.id }
        return nil
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let data: Data?
        switch self {
        case .connected(let userId, let connectionId, let timestamp):
            data = try? encoder.encode(
                Envelope(type: "connected", data: ["user_id": userId.lowercasedString, "connection_id": connectionId.lowercasedString, "timestamp": timestamp.rfc3339]))
        case .message(let message, let sender):
            data = try? encoder.encode(Envelope(type: "message", data: MessageRepresentation(message, sender: sender)))
        case .messageRead(let messageId, let readAt, let readBy):
            data = try? encoder.encode(Envelope(type: "message_read", data: ReadData(message_id: messageId.lowercasedString, read_at: readAt, read_by: readBy?.lowercasedString)))
        case .typing(let conversationId, let userId, let isTyping):
            data = try? encoder.encode(Envelope(type: "typing", data: TypingData(conversation_id: conversationId.lowercasedString, user_id: userId.lowercasedString, is_typing: isTyping)))
        case .pong(let timestamp):
            return #"{"type":"pong","data":{"timestamp":"\#(timestamp.rfc3339)"}}"#
        case .error(let code, let message, let retryAfter):
            data = try? encoder.encode(Envelope(type: "error", data: ErrorData(code: code, message: message, retry_after: retryAfter)))
        case .replayed(let count, let truncated):
            data = try? encoder.encode(Envelope(type: "replayed", data: ReplayData(count: count, truncated: truncated)))
        }
        return String(decoding: data ?? Data(#"{"type":"error","data":{"code":"internal","message":"encoding failed"}}"#.utf8), as: UTF8.self)
    }

    private struct Envelope<D: Encodable>: Encodable {
        var type: String
        var data: D
    }

    private struct ReadData: Encodable {
        var message_id: String
        var read_at: Timestamp
        var read_by: String?

        func encode(to encoder: any Encoder) throws {
            enum Keys: String, CodingKey { case message_id, read_at, read_by }
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(message_id, forKey: .message_id)
            try c.encode(read_at, forKey: .read_at)
            try c.encode(read_by, forKey: .read_by)
        }
    }

    private struct TypingData: Encodable {
        var conversation_id, user_id: String
        var is_typing: Bool
    }

    private struct ErrorData: Encodable {
        var code, message: String
        var retry_after: Int?
    }

    private struct ReplayData: Encodable {
        var count: Int
        var truncated: Bool
    }
}
