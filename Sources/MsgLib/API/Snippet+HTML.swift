extension Snippet {
    /// The snippet as the REST API returns it (`match_snippet`): every character HTML-escaped (`<`, `>`, `&`, `"`,
    /// `'`), matches inside `<mark>...</mark>`.
    public var html: String {
        var out = ""
        for segment in segments {
            if segment.highlighted { out += "<mark>" }
            out += Self.escapeHTML(segment.text)
            if segment.highlighted { out += "</mark>" }
        }
        return out
    }

    /// `text` with `<`, `>`, `&`, `"` and `'` replaced by their entities.
    package static func escapeHTML(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
