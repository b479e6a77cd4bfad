import MsgLib

/// JSON Lines (https://jsonlines.org): one object per line, keys in the REST API's order and spelling, every
/// nullable field present (`null` when empty), times RFC 3339 UTC with microseconds:
///
/// `{"id":…,"conversation_id":…,"sender_id":…,"sender":{"id":…,"username":…,"display_name":…,"is_admin":false},`
/// `"content":…,"created_at":…,"read_at":null,"edited_at":null,"deleted_at":null,"attachments":[]}`
/// (`attachments` as everywhere: `[{"id","filename","content_type","size","width","height"}]`), and with
/// `includeHistory` a last key `"history"`: the message's changes, oldest first (``ExportHistory/json(_:)``), `[]` for none.
struct JSONLinesFormatter: ExportFormatter {
    var includeHistory = false
    /// The sender's id as text, written twice per row but formatted once.
    private var senderText: [UInt8] = []

    mutating func write(_ row: ExportRow, _ bytes: UnsafeBufferPointer<UInt8>, _ out: inout ExportOutput) {
        senderText.removeAll(keepingCapacity: true)
        ExportText.appendUUID(row.senderId, to: &senderText)
        out.append("{\"id\":\"")
        ExportText.appendUUID(row.id, to: &out.bytes)
        out.append("\",\"conversation_id\":\"")
        ExportText.appendUUID(row.conversationId, to: &out.bytes)
        out.append("\",\"sender_id\":\"")
        out.bytes.append(contentsOf: senderText)
        out.append("\",\"sender\":{\"id\":\"")
        out.bytes.append(contentsOf: senderText)
        out.append("\",\"username\":")
        JSONText.appendString(bytes, row.senderUsername, to: &out.bytes)
        out.append(",\"display_name\":")
        JSONText.appendString(bytes, row.senderDisplayName, to: &out.bytes)
        out.append(row.senderIsAdmin ? ",\"is_admin\":true},\"content\":" : ",\"is_admin\":false},\"content\":")
        JSONText.appendString(bytes, row.content, to: &out.bytes)
        out.append(",\"created_at\":")
        time(row.createdAt, &out)
        out.append(",\"read_at\":")
        time(row.readAt, &out)
        out.append(",\"edited_at\":")
        time(row.editedAt, &out)
        out.append(",\"deleted_at\":")
        time(row.deletedAt, &out)
        out.append(",\"attachments\":")
        out.bytes.append(contentsOf: ExportText.attachmentsJSON(row.files(bytes)))
        if includeHistory {
            out.append(",\"history\":")
            out.bytes.append(contentsOf: ExportHistory.json(ExportHistory.entries(bytes, row.history)))
        }
        out.append("}\n")
    }

    private func time(_ value: Int64?, _ out: inout ExportOutput) {
        guard let value else {
            out.append("null")
            return
        }
        out.append(0x22)
        ExportText.appendRFC3339(value, to: &out.bytes)
        out.append(0x22)
    }
}
