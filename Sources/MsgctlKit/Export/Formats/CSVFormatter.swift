import MsgLib

/// RFC 4180 CSV: a header row, CRLF line ends, a field quoted (quotes doubled) only when it holds a comma, quote,
/// CR or LF. Columns: `id, conversation_id, sender_id, sender_username, sender_display_name, sender_is_admin,
/// content, created_at, read_at, edited_at, deleted_at, attachments` (a JSON array, as in the REST API; empty for a
/// message without files), and with `includeHistory` a last column `history` (the message's changes as a JSON array,
/// ``ExportHistory/json(_:)``, `[]` for none); booleans `true`/`false`, NULL an empty field, times
/// RFC 3339 UTC. Text fields are written as they are, except that one starting like a spreadsheet formula gets a
/// leading `'` (``CSVField``) unless `formulaEscape` is false (`--no-formula-escape`).
struct CSVFormatter: ExportFormatter {
    var formulaEscape = true
    var includeHistory = false

    static let header: StaticString =
        "id,conversation_id,sender_id,sender_username,sender_display_name,sender_is_admin,content,created_at,read_at,edited_at,deleted_at,attachments\r\n"

    static let headerWithHistory: StaticString =
        "id,conversation_id,sender_id,sender_username,sender_display_name,sender_is_admin,content,created_at,read_at,edited_at,deleted_at,attachments,history\r\n"

    mutating func begin(_ out: inout ExportOutput) {
        out.append(includeHistory ? Self.headerWithHistory : Self.header)
    }

    mutating func write(_ row: ExportRow, _ bytes: UnsafeBufferPointer<UInt8>, _ out: inout ExportOutput) {
        ExportText.appendUUID(row.id, to: &out.bytes)
        out.append(0x2C)
        ExportText.appendUUID(row.conversationId, to: &out.bytes)
        out.append(0x2C)
        ExportText.appendUUID(row.senderId, to: &out.bytes)
        out.append(0x2C)
        ExportText.appendCSVField(bytes, row.senderUsername, formulaEscape: formulaEscape, to: &out.bytes)
        out.append(0x2C)
        ExportText.appendCSVField(bytes, row.senderDisplayName, formulaEscape: formulaEscape, to: &out.bytes)
        out.append(row.senderIsAdmin ? ",true," : ",false,")
        ExportText.appendCSVField(bytes, row.content, formulaEscape: formulaEscape, to: &out.bytes)
        out.append(0x2C)
        ExportText.appendRFC3339(row.createdAt, to: &out.bytes)
        optionalTime(row.readAt, &out)
        optionalTime(row.editedAt, &out)
        optionalTime(row.deletedAt, &out)
        out.append(0x2C)
        let files = row.files(bytes)
        if !files.isEmpty {
            let json = ExportText.attachmentsJSON(files)
            json.withUnsafeBufferPointer { ExportText.appendCSVField($0, 0..<json.count, formulaEscape: formulaEscape, to: &out.bytes) }
        }
        if includeHistory {
            out.append(0x2C)
            let json = ExportHistory.json(ExportHistory.entries(bytes, row.history))
            json.withUnsafeBufferPointer { ExportText.appendCSVField($0, 0..<json.count, formulaEscape: formulaEscape, to: &out.bytes) }
        }
        out.append("\r\n")
    }

    private func optionalTime(_ value: Int64?, _ out: inout ExportOutput) {
        out.append(0x2C)
        if let value { ExportText.appendRFC3339(value, to: &out.bytes) }
    }
}
