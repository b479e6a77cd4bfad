extension MessageCreatedResponse: DirectJSONBody {
    /// The answer to a send written without an encoder when the message has no files (nearly every send): the JSON
    /// the encoder writes.
    package var directJSON: [UInt8]? {
        guard message.attachments.isEmpty else { return nil }
        var out = JSONFieldWriter(capacity: 300 + message.content.utf8.count)
        out.field("id", message.id.lowercasedString)
        out.field("conversation_id", message.conversationId.lowercasedString)
        out.field("sender_id", message.senderId.lowercasedString)
        out.field("content", message.content)
        out.field("created_at", message.createdAt)
        out.field("read_at", message.readAt)
        out.raw("attachments", "[]")
        out.close()
        return out.bytes
    }
}

/// A response body that can write its JSON without Foundation's encoder (nil: it cannot this time).
package protocol DirectJSONBody {
    var directJSON: [UInt8]? { get }
}
