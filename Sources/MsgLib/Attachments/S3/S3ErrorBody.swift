/// The `Code` and `Message` of an S3 error response body (`<Error><Code>NoSuchKey</Code><Message>...</Message>...`),
/// read without an XML library from at most the first 64 KiB: whatever else the body holds (the string to sign,
/// request ids, the access key id) is ignored. Hostile bodies (huge, malformed, not XML) give nil or cut, printable
/// values.
package struct S3ErrorBody: Sendable, Equatable {
    package var code: String
    package var message: String?

    /// Values are cut to this many characters.
    package static let maxValueLength = 200
    /// Only this many bytes of a body are looked at.
    package static let maxBodyBytes = 64 * 1024

    package init(code: String, message: String? = nil) {
        self.code = code
        self.message = message
    }

    /// The error in `body`, or nil when it has no `<Error>` element with a non-empty `<Code>`.
    package init?(_ body: [UInt8]) {
        let text = String(decoding: body.prefix(Self.maxBodyBytes), as: UTF8.self)
        guard let error = Self.element("Error", in: Substring(text)), let code = Self.element("Code", in: error).map(Self.clean),
            !code.isEmpty
        else { return nil }
        self.code = code
        self.message = Self.element("Message", in: error).map(Self.clean).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The text between the first `<name>` and the `</name>` after it.
    private static func element(_ name: String, in text: Substring) -> Substring? {
        guard let open = text.range(of: "<\(name)>"), let close = text[open.upperBound...].range(of: "</\(name)>") else { return nil }
        return text[open.upperBound..<close.lowerBound]
    }

    /// Entities decoded, control characters and markup dropped, whitespace runs made one space, cut.
    private static func clean(_ raw: Substring) -> String {
        var text = String(raw.prefix(4 * maxValueLength))
        if text.hasPrefix("<![CDATA["), text.hasSuffix("]]>") { text = String(text.dropFirst(9).dropLast(3)) }
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&apos;", "'"), ("&amp;", "&")] {
            text = text.replacingOccurrences(of: entity, with: character)
        }
        let scalars = text.unicodeScalars.map { scalar -> Character in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: " "
            default: scalar == "<" || scalar == ">" ? " " : Character(scalar)
            }
        }
        let words = String(scalars).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        return words.count > maxValueLength ? String(words.prefix(maxValueLength)) + "…" : words
    }
}
