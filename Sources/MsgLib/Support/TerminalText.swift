/// Text from users (message content, usernames, display names, what a server answered) made safe to print on a
/// terminal: every character that could drive the terminal or reorder what it shows is replaced by a visible
/// escape, `\u{1B}` (its code point in hex), so nothing typed into a message can run an escape sequence (colours,
/// cursor moves, an OSC 52 clipboard write, a window title), overwrite a line with `\r`, or flip the text around
/// it with a bidi override.
///
/// Escaped: the C0 controls and DEL, the C1 controls, the bidi marks, embeddings, overrides and isolates
/// (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and the line and paragraph separators (U+2028,
/// U+2029). Everything else, joiners and emoji included, is kept. The one sanitiser of msgctl and of the error
/// line both programs print; machine formats (JSON, CSV, exports) keep the exact data, except on a terminal.
package enum TerminalText {
    /// `text` with every unsafe character shown as `\u{XX}`.
    /// - Parameter multiline: keep line feeds (a CRLF counts as one) and tabs, for text laid out over several
    ///   lines as it was written; otherwise they are escaped too, for one-line fields such as table cells.
    package static func escaped(_ text: String, multiline: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isUnsafe($0, multiline: multiline) }) else { return text }
        var out = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        var next = scalars.next()
        while let scalar = next {
            next = scalars.next()
            if multiline, scalar == "\r", next == "\n" { continue }  // CRLF: the LF that follows is kept
            guard isUnsafe(scalar, multiline: multiline) else {
                out.append(scalar)
                continue
            }
            out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
        }
        return String(out)
    }

    /// True when `scalar` would act on the terminal or on the direction of the text around it.
    package static func isUnsafe(_ scalar: Unicode.Scalar, multiline: Bool = false) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: !multiline
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: true
        default: false
        }
    }
}
