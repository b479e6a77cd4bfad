import Foundation

extension ServerFrame: Codable {
    private enum Keys: String, CodingKey { case type, data }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "connected":
            let data = try c.decode(ConnectedData.self, forKey: .data)
            self = .connected(userId: data.user_id.value, connectionId: data.connection_id.value, timestamp: data.timestamp)
        case "message":
            self = .message(try c.decode(MessageRepresentation.self, forKey: .data))
        case "message_read":
            let data = try c.decode(ReadData.self, forKey: .data)
            self = .messageRead(messageId: data.message_id.value, readAt: data.read_at, readBy: data.read_by?.value)
        case "typing":
            let data = try c.decode(TypingData.self, forKey: .data)
            self = .typing(conversationId: data.conversation_id.value, userId: data.user_id.value, isTyping: data.is_typing)
        case "pong":
            self = .pong(try c.decode(PongData.self, forKey: .data).timestamp)
        case "error":
            let data = try c.decode(ErrorData.self, forKey: .data)
            self = .error(code: data.code, message: data.message, retryAfter: data.retry_after, clientId: data.client_id?.value)
        case "message_sent":
            let clientId = try c.decode(SentData.self, forKey: .data).client_id.value
            self = .messageSent(try c.decode(MessageRepresentation.self, forKey: .data), clientId: clientId)
        case "replayed":
            let data = try c.decode(ReplayData.self, forKey: .data)
            self = .replayed(count: data.count, truncated: data.truncated, cursor: data.cursor)
        case "reaction_changed":
            self = .reactionChanged(try c.decode(ReactionChangedRepresentation.self, forKey: .data))
        default:
            self = .unknown(type: type)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(type, forKey: .type)
        switch self {
        case .connected(let userId, let connectionId, let timestamp):
            try c.encode(ConnectedData(user_id: UUIDField(userId), connection_id: UUIDField(connectionId), timestamp: timestamp), forKey: .data)
        case .message(let message):
            try message.encode(to: c.superEncoder(forKey: .data))
            // A nullable field is always present: `cursor` too, null when the frame has none.
            if message.cursor == nil {
                var data = c.nestedContainer(keyedBy: CursorKey.self, forKey: .data)
                try data.encodeNil(forKey: .cursor)
            }
        case .messageRead(let messageId, let readAt, let readBy):
            try c.encode(ReadData(message_id: UUIDField(messageId), read_at: readAt, read_by: readBy.map(UUIDField.init)), forKey: .data)
        case .typing(let conversationId, let userId, let isTyping):
            try c.encode(TypingData(conversation_id: UUIDField(conversationId), user_id: UUIDField(userId), is_typing: isTyping), forKey: .data)
        case .pong(let timestamp):
            try c.encode(PongData(timestamp: timestamp), forKey: .data)
        case .error(let code, let message, let retryAfter, let clientId):
            try c.encode(ErrorData(code: code, message: message, retry_after: retryAfter, client_id: clientId.map(UUIDField.init)), forKey: .data)
        case .messageSent(let message, let clientId):
            // The message's fields and `client_id`, side by side in `data`.
            try message.encode(to: c.superEncoder(forKey: .data))
            var data = c.nestedContainer(keyedBy: SentData.CodingKeys.self, forKey: .data)
            try data.encode(UUIDField(clientId), forKey: .client_id)
        case .replayed(let count, let truncated, let cursor):
            try c.encode(ReplayData(count: count, truncated: truncated, cursor: cursor), forKey: .data)
        case .reactionChanged(let change):
            try c.encode(change, forKey: .data)
        case .unknown:
            try c.encode([String: String](), forKey: .data)
        }
    }

    private struct ConnectedData: Codable {
        var user_id, connection_id: UUIDField
        var timestamp: Timestamp
    }

    private struct ReadData: Codable {
        var message_id: UUIDField
        var read_at: Timestamp
        var read_by: UUIDField?

        init(message_id: UUIDField, read_at: Timestamp, read_by: UUIDField?) {
            self.message_id = message_id
            self.read_at = read_at
            self.read_by = read_by
        }

        /// `read_by` is always present: null when an admin read it.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(message_id, forKey: .message_id)
            try c.encode(read_at, forKey: .read_at)
            try c.encode(read_by, forKey: .read_by)
        }
    }

    private struct TypingData: Codable {
        var conversation_id, user_id: UUIDField
        var is_typing: Bool
    }

    private struct PongData: Codable { var timestamp: Timestamp }

    private enum CursorKey: String, CodingKey { case cursor }

    /// `retry_after` and `client_id` are always present, null when the error has none.
    private struct ErrorData: Codable {
        var code, message: String
        var retry_after: Int?
        var client_id: UUIDField? = nil

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(code, forKey: .code)
            try c.encode(message, forKey: .message)
            try c.encode(retry_after, forKey: .retry_after)
            try c.encode(client_id, forKey: .client_id)
        }
    }

    private struct SentData: Codable {
        var client_id: UUIDField
        enum CodingKeys: String, CodingKey { case client_id }
    }

    /// `cursor` is always present, null when the replay gives none.
    private struct ReplayData: Codable {
        var count: Int
        var truncated: Bool
        var cursor: String?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(count, forKey: .count)
            try c.encode(truncated, forKey: .truncated)
            try c.encode(cursor, forKey: .cursor)
        }
    }
}
