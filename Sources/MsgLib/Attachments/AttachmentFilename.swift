/// An attachment's file name as stored and as sent back: no folders, no control or format characters, at most
/// ``maxBytes`` bytes of UTF-8, never empty; and the `Content-Disposition` header that names it (RFC 6266, with the
/// RFC 5987 `filename*` form for names that are not plain ASCII).
package struct AttachmentFilename: Sendable, Equatable, CustomStringConvertible {
    package let value: String
    package var description: String { value }

    /// The longest name kept, in UTF-8 bytes (what most file systems allow).
    package static let maxBytes = 255

    /// `name` made safe: the part after its last `/` or `\`, control, format (bidirectional overrides and the like)
    /// and line-separator characters removed, spaces at either end trimmed, cut to ``maxBytes`` on a character
    /// boundary keeping the extension; "file" when nothing is left.
    package init(sanitizing name: String) {
        let base = name.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == "\\" }.last.map(String.init) ?? ""
        var kept = String.UnicodeScalarView()
        for scalar in base.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: continue
            default: kept.append(scalar)
            }
        }
        var text = String(kept).trimmingSpaces()
        if text == "." || text == ".." { text = "" }
        if text.utf8.count > Self.maxBytes {
            let dot = text.lastIndex(of: ".")
            let ext = dot.map { String(text[$0...]) } ?? ""
            let keepExtension = ext.utf8.count <= 16
            var stem = keepExtension && dot != nil ? String(text[..<dot!]) : text
            let budget = Self.maxBytes - (keepExtension ? ext.utf8.count : 0)
            while stem.utf8.count > budget { stem.removeLast() }
            text = stem + (keepExtension ? ext : "")
        }
        value = text.isEmpty ? "file" : text
    }

    /// `inline` or `attachment`, with an ASCII `filename` (other characters, quotes and backslashes as `_`) and, when
    /// that differs from the name, `filename*=UTF-8''` with the name percent-encoded.
    package func contentDisposition(inline: Bool) -> String {
        var fallback = ""
        for scalar in value.unicodeScalars {
            let ascii = scalar.isASCII && scalar.value >= 0x20 && scalar.value != 0x7F && scalar != "\"" && scalar != "\\"
            fallback.unicodeScalars.append(ascii ? scalar : "_")
        }
        var header = "\(inline ? "inline" : "attachment"); filename=\"\(fallback)\""
        if fallback != value { header += "; filename*=UTF-8''" + Self.attrChars(value) }
        return header
    }

    /// RFC 5987 `value-chars`: `attr-char` bytes as they are, every other byte of the UTF-8 as `%XX`.
    private static func attrChars(_ text: String) -> String {
        let allowed = Set("!#$&+-.^_`|~".utf8)
        var out = ""
        for byte in text.utf8 {
            let isAlphanumeric = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            if isAlphanumeric || allowed.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
