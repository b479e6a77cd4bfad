import Foundation
import MsgLib

/// Text given on the command line, or else read from stdin (its one trailing newline, LF or CRLF, dropped; other line
/// breaks are the text's).
func textArgumentOrStandardInput(_ text: String?) -> String {
    if let text { return text }
    return withoutTrailingNewline(String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self))
}

/// `text` without its last line break (`\n` or `\r\n`), as a file or a pipe ends its last line.
func withoutTrailingNewline(_ text: String) -> String {
    var bytes = Substring(text).utf8
    if bytes.last == 0x0A { bytes = bytes.dropLast() }
    if text.utf8.last == 0x0A, bytes.last == 0x0D { bytes = bytes.dropLast() }
    return String(Substring(bytes))
}

/// "1 message", "2 messages".
func messages(_ count: Int) -> String {
    "\(count) message\(count == 1 ? "" : "s")"
}
