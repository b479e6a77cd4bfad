import MsgLib

/// A conversation's messages as text, for `msgctl show` and the console; every name and text from users goes
/// through ``TerminalText``.
enum Transcript {
    /// The first line: `conversation with Alice (alice), 3 messages`.
    static func heading(displayName: String, username: String, total: Int) -> String {
        "conversation with \(TerminalText.escaped(displayName)) (\(TerminalText.escaped(username))), \(total) messages"
    }

    /// `msgctl show`'s form of one message: the local time and sender on a line of their own, then the text as written,
    /// each line indented by ``contentIndent``: deeper than the lines msgctl adds (attachments, reactions, history), so
    /// that no text can pass for them or for another message.
    static func entry(time: Timestamp?, who: String, edited: Bool, content: String) -> String {
        "[\(HumanTime.format(time))] \(TerminalText.escaped(who))\(edited ? " (edited)" : ""):\n"
            + contentIndent + TerminalText.escaped(content, multiline: true).replacingOccurrences(of: "\n", with: "\n" + contentIndent)
    }

    /// The console's form of one message: time of day, sender and text on one line, further lines indented by
    /// ``contentIndent``, deeper than the lines the console adds (attachments, reactions).
    static func line(time: Timestamp?, who: String, content: String) -> String {
        "\(shortTime(time)) \(TerminalText.escaped(who)): "
            + TerminalText.escaped(content, multiline: true).replacingOccurrences(of: "\n", with: "\n" + contentIndent)
    }

    /// Where the lines of a message's text start; what msgctl adds about a message is indented by two.
    static let contentIndent = "    "

    /// The time of day, `HH:mm`.
    static func shortTime(_ timestamp: Timestamp?) -> String {
        String(HumanTime.format(timestamp).suffix(5))
    }

    /// One line per attached file, indented: name, type, size (and pixels), id; terminal-safe.
    static func attachments(_ files: [MessageAttachment], indent: String = "  ") -> String {
        files.map { file in
            let pixels = file.width.flatMap { width in file.height.map { " \(width)x\($0)" } } ?? ""
            return "\(indent)[attachment] \(TerminalText.escaped(file.filename)) (\(TerminalText.escaped(file.contentType)), "
                + "\(byteCount(file.size))\(pixels)) \(file.id.lowercasedString)"
        }.joined(separator: "\n")
    }

    /// `512 B`, `12.3 KiB`, `4.0 MiB`.
    static func byteCount(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        return String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}
