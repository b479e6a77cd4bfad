import MsgLib

/// Exported bytes on their way to a terminal, escaped as ``TerminalText`` escapes text (line feeds and tabs kept), a
/// block at a time: a character or a CRLF cut by the end of one block waits for the next.
final class TerminalGuard {
    private var held: [UInt8] = []

    /// `bytes`, after what was held, escaped up to the last whole character.
    func escaped(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var pending = held
        pending.append(contentsOf: bytes)
        let cut = Self.wholePrefix(pending)
        held = Array(pending[cut...])
        return Array(TerminalText.escaped(String(decoding: pending[..<cut], as: UTF8.self), multiline: true).utf8)
    }

    /// What is still held, escaped (an incomplete character shows as U+FFFD).
    func finish() -> [UInt8] {
        defer { held = [] }
        return held.isEmpty ? [] : Array(TerminalText.escaped(String(decoding: held, as: UTF8.self), multiline: true).utf8)
    }

    /// The length of the longest prefix of `bytes` that ends neither inside a UTF-8 sequence nor between a CR and a
    /// line feed that may follow.
    static func wholePrefix(_ bytes: [UInt8]) -> Int {
        var end = bytes.count
        // A lead byte within the last 3 whose sequence is not complete: cut before it.
        var index = end - 1
        while index >= max(0, end - 4) {
            let byte = bytes[index]
            if byte & 0xC0 != 0x80 {
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                if index + length > end { end = index }
                break
            }
            index -= 1
        }
        if end > 0, bytes[end - 1] == 0x0D { end -= 1 }
        return end
    }
}
