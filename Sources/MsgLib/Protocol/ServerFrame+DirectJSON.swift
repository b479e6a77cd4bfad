import Foundation

extension ServerFrame {
    /// The text of the commonest frames written without an encoder: `pong` (the heartbeat's answer, most of the
    /// traffic), and `message` and `message_sent` when the message has no files and no reactions (nearly every message as
    /// it is sent, each delivery writes one). The JSON ``encodedJSON`` holds, in a fifth of its time; nil for the other
    /// frames.
    var directJSON: String? {
        switch self {
        case .pong(let timestamp): #"{"type":"pong","data":{"timestamp":"\#(timestamp.rfc3339)"}}"#
        case .message(let message): message.frameJSON(type: "message", clientId: nil)
        case .messageSent(let message, let clientId): message.frameJSON(type: "message_sent", clientId: clientId)
        default: nil
        }
    }
}

extension MessageRepresentation {
    /// `{"type":TYPE,"data":{...}}` with the fields in the encoder's order: `cursor` (in a `message` frame null when it
    /// has none), then `client_id` when given (a `message_sent`); nil when the message has files or reactions.
    fileprivate func frameJSON(type: String, clientId: UUID?) -> String? {
        guard attachments.isEmpty, reactions.isEmpty else { return nil }
        var out = JSONFieldWriter(capacity: 400 + content.utf8.count)
        out.field("type", type)
        out.open("data")
        out.field("id", id)
        out.field("conversation_id", conversationId)
        out.field("sender_id", senderId)
        out.open("sender")
        out.field("id", sender.id)
        out.field("username", sender.username)
        out.field("display_name", sender.displayName)
        out.raw("is_admin", sender.isAdmin ? "true" : "false")
        out.close()
        out.field("content", content)
        out.field("created_at", createdAt)
        out.field("read_at", readAt)
        out.field("edited_at", editedAt)
        out.raw("attachments", "[]")
        out.raw("reactions", "[]")
        if let cursor {
            out.field("cursor", cursor)
        } else if clientId == nil {
            out.raw("cursor", "null")
        }
        if let clientId { out.field("client_id", clientId.lowercasedString) }
        out.close()
        out.close()
        return String(decoding: out.bytes, as: UTF8.self)
    }
}
