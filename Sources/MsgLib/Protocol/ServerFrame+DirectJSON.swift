import Foundation

extension ServerFrame {
    /// The text of a `message` or `message_sent` frame written without an encoder, when its message has no files and no
    /// reactions (nearly every message as it is sent): the same bytes as ``json``'s encoder writes, in a twentieth of
    /// its time. Every delivery encodes one; nil for the other frames.
    var directJSON: String? {
        switch self {
        case .message(let message): message.frameJSON(type: "message", clientId: nil)
        case .messageSent(let message, let clientId): message.frameJSON(type: "message_sent", clientId: clientId)
        default: nil
        }
    }
}

extension MessageRepresentation {
    /// `{"type":TYPE,"data":{...}}` with the fields in the encoder's order (and `client_id` last when given); nil when
    /// the message has files or reactions.
    fileprivate func frameJSON(type: String, clientId: UUID?) -> String? {
        guard attachments.isEmpty, reactions.isEmpty else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(400 + content.utf8.count)
        func field(_ name: String, _ value: String) {
            JSONText.appendRaw(",\"\(name)\":", to: &out)
            JSONText.appendString(value, to: &out)
        }
        func field(_ name: String, _ value: Timestamp?) {
            guard let value else { return JSONText.appendRaw(",\"\(name)\":null", to: &out) }
            field(name, value.rfc3339)
        }
        JSONText.appendRaw("{\"type\":", to: &out)
        JSONText.appendString(type, to: &out)
        JSONText.appendRaw(",\"data\":{\"id\":", to: &out)
        JSONText.appendString(id, to: &out)
        field("conversation_id", conversationId)
        field("sender_id", senderId)
        JSONText.appendRaw(",\"sender\":{\"id\":", to: &out)
        JSONText.appendString(sender.id, to: &out)
        field("username", sender.username)
        field("display_name", sender.displayName)
        JSONText.appendRaw(sender.isAdmin ? ",\"is_admin\":true}" : ",\"is_admin\":false}", to: &out)
        field("content", content)
        field("created_at", createdAt)
        field("read_at", readAt)
        field("edited_at", editedAt)
        JSONText.appendRaw(",\"attachments\":[],\"reactions\":[]", to: &out)
        if let cursor { field("cursor", cursor) }
        if let clientId { field("client_id", clientId.lowercasedString) }
        JSONText.appendRaw("}}", to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
