import Foundation
import MsgLib

/// Text given on the command line, or else read from stdin (its one trailing newline, LF or CRLF, dropped; other line
/// breaks are the text's).
/// - Throws: ``UserFacingError``: stdin cannot be read (66), is not UTF-8 or holds more than a message may (65).
func textArgumentOrStandardInput(_ text: String?) throws(UserFacingError) -> String {
    if let text { return text }
    // A message is at most 10,000 characters of up to 4 bytes, and a line break: anything longer is refused unread.
    let bytes = try readStandardInput(limit: Message.maximumLength * 4 + 2)
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw UserFacingError("standard input is not UTF-8 text", exitStatus: .dataError)
    }
    return withoutTrailingNewline(text)
}

/// Standard input to its end, at most `limit` bytes.
private func readStandardInput(limit: Int) throws(UserFacingError) -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
        if count == 0 { return bytes }
        if count < 0 {
            if errno == EINTR { continue }
            throw UserFacingError("cannot read standard input: \(String(cString: strerror(errno)))", exitStatus: .noInput)
        }
        bytes += chunk[..<count]
        if bytes.count > limit {
            throw UserFacingError("standard input is longer than a message may be (\(Message.maximumLength) characters)", exitStatus: .dataError)
        }
    }
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
