import Testing

@testable import MsgLib
@testable import MsgctlKit

/// Exported bytes escaped for a terminal block by block come out as the whole text escaped at once, wherever the
/// blocks cut a character or a CRLF.
@Suite struct TerminalGuardTests {
    @Test func blocksCutAnywhereGiveTheWholeTextEscaped() {
        let text = "a,\u{1B}]52;c;eA==\u{7}\r\n\"\u{202E}é中🧑🏻‍💻\r\nlast\r"
        let bytes = Array(text.utf8)
        let whole = Array(TerminalText.escaped(text, multiline: true).utf8)
        for size in 1...7 {
            let guardian = TerminalGuard()
            var out: [UInt8] = []
            for start in stride(from: 0, to: bytes.count, by: size) {
                bytes[start..<min(bytes.count, start + size)].withUnsafeBytes { out += guardian.escaped($0) }
            }
            out += guardian.finish()
            #expect(out == whole, "blocks of \(size)")
        }
    }
}
