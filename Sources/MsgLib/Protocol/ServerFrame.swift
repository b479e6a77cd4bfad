import Foundation

/// A frame the server sends: `{"type": ..., "data": {...}}`. The relay encodes it, clients decode it with ``init(json:)``.
public enum ServerFrame: Sendable, Equatable {
    case connected(userId: UUID, connectionId: UUID, timestamp: Timestamp)
    case message(MessageRepresentation)
    case messageRead(messageId: UUID, readAt: Timestamp, readBy: UUID?)
    case typing(conversationId: UUID, userId: UUID, isTyping: Bool)
    case pong(Timestamp)
    /// `clientId`: the `client_id` of the `send_message` it answers, if that had one.
    case error(code: String, message: String, retryAfter: Int?, clientId: UUID? = nil)
    /// The answer to a `send_message` that carried a `client_id`, on the sending socket only: the message made (or
    /// found, for a send made again with the same id).
    case messageSent(MessageRepresentation, clientId: UUID)
    /// Sent after a resume's replay: how many were replayed, and the cursor the client is at now (nil when the replay
    /// was truncated, or resumed from a message id).
    case replayed(count: Int, truncated: Bool, cursor: String?)
    /// A message's reactions changed (or, in a resume's replay, changed while the client was away): the last change and
    /// all of the message's reactions now, as the receiving user sees them.
    case reactionChanged(ReactionChangedRepresentation)
    /// A frame of a type this build does not know (a newer relay's): clients skip it.
    case unknown(type: String)

    /// A `message` frame for `message`, sent by `sender`, its reactions as `viewer` sees them.
    public static func message(_ message: Message, sender: User, cursor: ResumeCursor? = nil, viewer: User? = nil) -> ServerFrame {
        var representation = MessageRepresentation(message, sender: sender, viewer: viewer)
        representation.cursor = cursor?.token
        return .message(representation)
    }

    /// The message id of a `message` frame, for de-duplication.
    package var messageId: UUID? {
        if case .message(let message) = self { return UUID(uuidString: message.id) }
        return nil
    }

    /// The resume cursor a `message` or `replayed` frame carries, if any: where a client that processed it resumes.
    public var cursor: String? {
        switch self {
        case .message(let message): message.cursor
        case .replayed(_, _, let cursor): cursor
        default: nil
        }
    }

    /// The frame's `type`.
    public var type: String {
        switch self {
        case .connected: "connected"
        case .message: "message"
        case .messageRead: "message_read"
        case .typing: "typing"
        case .pong: "pong"
        case .error: "error"
        case .messageSent: "message_sent"
        case .replayed: "replayed"
        case .reactionChanged: "reaction_changed"
        case .unknown(let type): type
        }
    }

    /// The frame as JSON text.
    public var json: String {
        directJSON ?? encodedJSON
    }

    /// The frame through Foundation's encoder, which every frame can take (``json`` writes the commonest directly).
    package var encodedJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let data = try? encoder.encode(self)
        return String(decoding: data ?? Data(#"{"type":"error","data":{"code":"internal","message":"encoding failed"}}"#.utf8), as: UTF8.self)
    }

    /// Parses a frame's JSON text; a frame of an unknown type becomes ``unknown(type:)``.
    /// - Throws: `DecodingError` when the text is not a frame, or a known frame lacks a field.
    public init(json: some Collection<UInt8>) throws {
        self = try JSONDecoder().decode(ServerFrame.self, from: Data(json))
    }
}
