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
/// is a block quote that renders as it was written (``appendQuote(_:_:_:)``): nothing in a message can leave the quote,
/// and no HTML or Markdown in it takes effect. Times are UTC. Each attached file
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

    /// Text as a block quote that a CommonMark (or GitHub) renderer shows as it was written: every line starts with
    /// `> `, and a line followed by another one in the same paragraph ends with a hard break (two spaces). Nothing in it
    /// is Markdown: `&`, `<` and `>` are written as entities (no HTML), `\`, `[`, `]`, `` ` ``, `*`, `_`, `~` and `|` are
    /// backslash-escaped (no link, image, link reference definition, code, emphasis, strikethrough or table); a line
    /// that would start a heading or a list has its mark escaped (``blockMark(_:_:)``), and one that would be indented
    /// code its first blank written as an entity.
    static func appendQuote(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ out: inout ExportOutput) {
        var previousHasText = false
        var first = true
        ExportText.forEachLine(bytes, range) { line in
            let hasText = line.contains { bytes[$0] != 0x20 && bytes[$0] != 0x09 }
            if !first {
                if previousHasText && hasText { out.append("  ") }
                out.append(0x0A)
            }
            first = false
            previousHasText = hasText
            out.append(line.isEmpty ? ">" : "> ")
            var start = line.lowerBound
            let mark = blockMark(bytes, line)
            let indent = hasText && indentColumns(bytes, line) >= 4 ? line.lowerBound : nil
            for index in line {
                let byte = bytes[index]
                // An entity for the byte, or nil: the byte backslash-escaped.
                let entity: StaticString?
                switch byte {
                case 0x26: entity = "&amp;"
                case 0x3C: entity = "&lt;"
                case 0x3E: entity = "&gt;"
                case _ where index == indent: entity = byte == 0x09 ? "&#9;" : "&#32;"
                case 0x5C, 0x5B, 0x5D, 0x60, 0x2A, 0x5F, 0x7E, 0x7C,
                    _ where index == mark:
                    entity = nil
                default: continue
                }
                out.append(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                if let entity {
                    out.append(entity)
                } else {
                    out.append(0x5C)
                    out.append(byte)
                }
                start = index + 1
            }
            out.append(UnsafeBufferPointer(rebasing: bytes[start..<line.upperBound]))
        }
        out.append(0x0A)
    }

    /// The columns of the blanks that start `line` (a tab moves to the next multiple of 4): 4 or more before its text
    /// would make it indented code.
    static func indentColumns(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Int {
        var columns = 0
        for index in line {
            switch bytes[index] {
            case 0x20: columns += 1
            case 0x09: columns += 4 - columns % 4
            default: return columns
            }
        }
        return columns
    }

    /// The index of the character that would make `line` a heading or a list item inside the quote, to be
    /// backslash-escaped: an ATX `#`, the first `=` or `-` of a setext underline (or of a thematic break), a bullet `-`
    /// or `+`, or the `.` or `)` of an ordered item's number (a `*` is escaped wherever it is); nil for other lines.
    static func blockMark(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Int? {
        var first = line.lowerBound
        while first < line.upperBound, first - line.lowerBound < 3, bytes[first] == 0x20 { first += 1 }
        guard first < line.upperBound else { return nil }
        let mark = bytes[first]
        /// Whether `index` ends a list marker: followed by a blank or the line's end.
        func endsMarker(_ index: Int) -> Bool { index + 1 == line.upperBound || bytes[index + 1] == 0x20 || bytes[index + 1] == 0x09 }
        if mark == 0x23 { return first }
        if mark == 0x3D || mark == 0x2D, bytes[first..<line.upperBound].allSatisfy({ $0 == mark || $0 == 0x20 || $0 == 0x09 }) { return first }
        if mark == 0x2D || mark == 0x2B { return endsMarker(first) ? first : nil }
        var digit = first
        while digit < line.upperBound, digit - first < 9, (0x30...0x39).contains(bytes[digit]) { digit += 1 }
        guard digit > first, digit < line.upperBound, bytes[digit] == 0x2E || bytes[digit] == 0x29, endsMarker(digit) else { return nil }
        return digit
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
