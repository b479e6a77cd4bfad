import MsgLib

/// A Markdown (CommonMark) transcript, for people.
///
/// ```
/// # Conversation with Alice (alice)
///
/// Conversation `0193…`, user `0193…`.
///
/// **Alice** (alice) · 2026-11-25 22:57:52 UTC
///
/// > Is my order shipped?
///
/// **Admin** (admin, admin) · 2026-11-25 22:59:01 UTC · edited 2026-11-25 23:01:12 UTC
///
/// > Yes, it left today.
/// ```
///
/// One level-1 heading per conversation, its messages in order below it. Names are backslash-escaped; each message
/// is a block quote (every line starts with `> `, so nothing in a message can start a heading or leave the quote),
/// with `&`, `<` and `>` written as entities so that no HTML reaches a renderer. Times are UTC. Each attached file
/// follows as a line of its own: `Attachment: name (type, size) `id``, the name escaped as names are.
///
/// With `includeHistory`, each change follows, oldest first: `*Earlier version* · written T · replaced T by NAME` and the
/// replaced text quoted as the message is, `*Deleted* T by NAME`, `*Restored* T by NAME` (NAME: the username, else
/// `user ID`, else `database role ROLE`).
struct MarkdownFormatter: ExportFormatter {
    var includeHistory = false
    private var conversation: RawUUID?

    mutating func write(_ row: ExportRow, _ bytes: UnsafeBufferPointer<UInt8>, _ out: inout ExportOutput) {
        if conversation != row.conversationId {
            if conversation != nil { out.append(0x0A) }
            conversation = row.conversationId
            out.append("# Conversation with ")
            Self.appendInline(bytes, row.conversationDisplayName, &out)
            out.append(" (")
            Self.appendInline(bytes, row.conversationUsername, &out)
            out.append(")\n\nConversation `")
            ExportText.appendUUID(row.conversationId, to: &out.bytes)
            out.append("`, user `")
            ExportText.appendUUID(row.conversationUserId, to: &out.bytes)
            out.append("`.\n")
        }
        out.append("\n**")
        Self.appendInline(bytes, row.senderDisplayName, &out)
        out.append("** (")
        Self.appendInline(bytes, row.senderUsername, &out)
        out.append(row.senderIsAdmin ? ", admin) · " : ") · ")
        ExportText.appendReadableUTC(row.createdAt, to: &out.bytes)
        if let editedAt = row.editedAt {
            out.append(" · edited ")
            ExportText.appendReadableUTC(editedAt, to: &out.bytes)
        }
        if let deletedAt = row.deletedAt {
            out.append(" · deleted ")
            ExportText.appendReadableUTC(deletedAt, to: &out.bytes)
        }
        out.append("\n\n")
        Self.appendQuote(bytes, row.content, &out)
        for file in row.files(bytes) {
            out.append("\nAttachment: ")
            let name = Array(file.filename.utf8)
            name.withUnsafeBufferPointer { Self.appendInline($0, 0..<name.count, &out) }
            out.bytes.append(contentsOf: Array(" (\(ExportText.attachmentSummary(file))) `\(file.id.lowercasedString)`\n".utf8))
        }
        if includeHistory {
            for entry in ExportHistory.entries(bytes, row.history) { Self.appendChange(entry, &out) }
        }
    }

    /// One change of the message (`includeHistory`).
    static func appendChange(_ entry: ExportHistoryEntry, _ out: inout ExportOutput) {
        switch entry.action {
        case "edit": out.append("\n*Earlier version* · written ")
        case "delete": out.append("\n*Deleted* ")
        default: out.append("\n*Restored* ")
        }
        if entry.action == "edit" {
            if let written = entry.previousWrittenAt { ExportText.appendReadableUTC(written, to: &out.bytes) }
            out.append(" · replaced ")
        }
        ExportText.appendReadableUTC(entry.changedAt, to: &out.bytes)
        out.append(" by ")
        let name = Array((entry.actorUsername ?? entry.actorId.map { "user \($0)" } ?? "database role \(entry.databaseRole)").utf8)
        name.withUnsafeBufferPointer { appendInline($0, 0..<name.count, &out) }
        out.append(0x0A)
        if entry.action == "edit", let previous = entry.previousContent {
            out.append(0x0A)
            let text = Array(previous.utf8)
            text.withUnsafeBufferPointer { appendQuote($0, 0..<text.count, &out) }
        }
    }

    /// Text as a block quote: every line starts with `> `, `&`, `<` and `>` written as entities, `[` and `]`
    /// backslash-escaped (no link, image or link reference definition, which would apply to the whole file).
    static func appendQuote(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ out: inout ExportOutput) {
        ExportText.forEachLine(bytes, range) { line in
            out.append(line.isEmpty ? ">" : "> ")
            var start = line.lowerBound
            let heading = headingMark(bytes, line)
            for index in line {
                let entity: StaticString
                switch bytes[index] {
                case 0x26: entity = "&amp;"
                case 0x3C: entity = "&lt;"
                case 0x3E: entity = "&gt;"
                // A backslash escapes itself: before an entity it would otherwise escape the entity's `&`.
                case 0x5C: entity = "\\\\"
                case 0x5B: entity = "\\["
                case 0x5D: entity = "\\]"
                case _ where index == heading:
                    out.append(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                    out.append(0x5C)
                    start = index
                    continue
                default: continue
                }
                out.append(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                out.append(entity)
                start = index + 1
            }
            out.append(UnsafeBufferPointer(rebasing: bytes[start..<line.upperBound]))
            out.append(0x0A)
        }
    }

    /// The index of the character that would make `line` a heading inside the quote (an ATX `#`, or the first `=` or
    /// `-` of a setext underline), to be backslash-escaped; nil for other lines.
    static func headingMark(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Int? {
        var first = line.lowerBound
        while first < line.upperBound, first - line.lowerBound < 3, bytes[first] == 0x20 { first += 1 }
        guard first < line.upperBound else { return nil }
        let mark = bytes[first]
        if mark == 0x23 { return first }
        guard mark == 0x3D || mark == 0x2D else { return nil }
        return bytes[first..<line.upperBound].allSatisfy { $0 == mark || $0 == 0x20 || $0 == 0x09 } ? first : nil
    }

    /// Inline text (a name): ASCII punctuation backslash-escaped, line breaks and other control characters as spaces.
    static func appendInline(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ out: inout ExportOutput) {
        for index in range {
            let byte = bytes[index]
            if byte < 0x20 || byte == 0x7F {
                out.append(0x20)
            } else {
                if byte < 0x7F && byte > 0x20 && !ExportText.isAlphanumeric(byte) { out.append(0x5C) }
                out.append(byte)
            }
        }
    }
}
