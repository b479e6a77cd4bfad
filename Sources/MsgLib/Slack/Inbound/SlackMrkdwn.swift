/// Text written in Slack (a message event's `text`, a slash command's `text`) turned into the plain text a message holds.
///
/// Slack sends `&`, `<` and `>` typed by people as `&amp;`, `&lt;` and `&gt;`, and marks links, mentions and dates
/// as `<...>` spans: `<https://example.org|label>`, `<mailto:a@example.org|a@example.org>`, `<@U123>`,
/// `<#C123|general>`, `<!here>`, `<!subteam^S123|@team>`, `<!date^1392734382^{date}|Feb 18, 2014>`. Each span becomes
/// what a reader would write by hand, and the three escapes become their characters again, each exactly once.
package enum SlackMrkdwn {
    /// `text` as plain text.
    package static func plainText(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "<") {
            out += unescape(rest[..<open])
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: ">") else {
                out += unescape(rest[open...])
                return out
            }
            out += span(rest[afterOpen..<close])
            rest = rest[rest.index(after: close)...]
        }
        return out + unescape(rest)
    }

    /// One `<target|label>` span, as text.
    static func span(_ inner: Substring) -> String {
        let bar = inner.firstIndex(of: "|")
        let target = String(bar.map { inner[..<$0] } ?? inner)
        let label = bar.map { unescape(inner[inner.index(after: $0)...]) }.flatMap { $0.isEmpty ? nil : $0 }
        if target.hasPrefix("@") { return label.map { $0.hasPrefix("@") ? $0 : "@" + $0 } ?? target }
        if target.hasPrefix("#") { return label.map { $0.hasPrefix("#") ? $0 : "#" + $0 } ?? target }
        if target.hasPrefix("!") {
            let name = target.dropFirst().prefix { $0 != "^" }
            if ["here", "channel", "everyone"].contains(name) { return "@" + name }
            return label ?? ""
        }
        let url = unescape(Substring(target))
        if url.hasPrefix("mailto:") {
            let address = String(url.dropFirst("mailto:".count))
            return label == nil || label == address ? address : "\(label!) <\(address)>"
        }
        guard let label, label != url else { return url }
        return "\(label) (\(url))"
    }

    /// `&amp;`, `&lt;` and `&gt;` back to `&`, `<` and `>`, in one pass (so `&amp;lt;` stays `&lt;`).
    static func unescape(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let tail = rest[amp...]
            if let (entity, character) = [("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")].first(where: { tail.hasPrefix($0.0) }) {
                out += character
                rest = tail.dropFirst(entity.count)
            } else {
                out += "&"
                rest = tail.dropFirst()
            }
        }
        return out + rest
    }
}
