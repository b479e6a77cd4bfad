import Foundation

extension UUID {
    /// The UUID in lowercase, as PostgreSQL and RFC 9562 write it and as the API sends it.
    public var lowercasedString: String { hexText(dashed: true) }

    /// The 32 lowercase hexadecimal digits without dashes (resume cursors).
    package var compactHex: String { hexText(dashed: false) }

    /// Written byte by byte into the string's storage: every frame and response carries several ids (Foundation's
    /// `uuidString`, then `lowercased()`, cost more than the rest of a small frame).
    private func hexText(dashed: Bool) -> String {
        let length = dashed ? 36 : 32
        return String(unsafeUninitializedCapacity: length) { text in
            withUnsafeBytes(of: uuid) { bytes in
                var index = 0
                for position in 0..<16 {
                    if dashed, position == 4 || position == 6 || position == 8 || position == 10 {
                        text[index] = 0x2D
                        index += 1
                    }
                    text[index] = JSONText.hexDigit(bytes[position] >> 4)
                    text[index + 1] = JSONText.hexDigit(bytes[position] & 0xF)
                    index += 2
                }
            }
            return length
        }
    }
}
