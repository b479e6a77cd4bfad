import Foundation
import MsgLib

/// Text given on the command line, or else read from stdin (a trailing newline dropped).
func textArgumentOrStandardInput(_ text: String?) -> String {
    if let text { return text }
    return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .newlines)
}

/// "1 message", "2 messages".
func messages(_ count: Int) -> String {
    "\(count) message\(count == 1 ? "" : "s")"
}
