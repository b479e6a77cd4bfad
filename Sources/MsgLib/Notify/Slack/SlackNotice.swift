import Foundation

/// The Slack incoming-webhook notice of a user's message: the design document's Block Kit payload, with the
/// user's text escaped for Slack's mrkdwn so that nobody can mention `<!channel>` or forge a link, and cut to
/// the 3,000 characters Slack takes in a section.
package struct SlackNotice: Sendable, Equatable {
    package var displayName: String
    package var content: String
    package var conversationId: UUID?
    package var adminURLBase: String
    /// The names of the message's files.
    package var attachmentNames: [String]

    package init(displayName: String, content: String, conversationId: UUID?, adminURLBase: String, attachmentNames: [String] = []) {
        self.displayName = displayName
        self.content = content
        self.conversationId = conversationId
        self.adminURLBase = adminURLBase
        self.attachmentNames = attachmentNames
    }

    /// The `msgctl slack test` notice.
    package static func test(adminURLBase: String) -> SlackNotice {
        SlackNotice(displayName: "msgctl", content: "Test notice: Slack notifications work.", conversationId: nil, adminURLBase: adminURLBase)
    }

    /// Escapes the three characters Slack's mrkdwn treats as control characters (`&`, `<`, `>`), wherever they
    /// stand (also under a combining mark, which makes them part of a longer character).
    package static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// The most characters Slack takes in a section's text (it answers 400 `invalid_blocks` beyond).
    package static let sectionLimit = 3000
    /// The most characters of the escaped display name.
    static let nameLimit = 200
    /// What ends a text that was cut.
    package static let ellipsis = "..."

    /// `text` escaped, cut to at most `limit` UTF-16 code units (what Slack may count; never fewer than the
    /// characters) with ``ellipsis`` when it does not fit. The cut falls between two characters, so an escape
    /// (`&amp;`) or an emoji is never split.
    static func escape(_ text: String, limit: Int) -> String {
        let escaped = escape(text)
        guard escaped.utf16.count > limit else { return escaped }
        let budget = limit - ellipsis.utf16.count
        var out = ""
        var used = 0
        for character in text {
            let piece = escape(String(character))
            let size = piece.utf16.count
            guard used + size <= budget else { break }
            out += piece
            used += size
        }
        return out + ellipsis
    }

    /// The section's mrkdwn: the name in bold, then the message, cut to fit ``sectionLimit``, then a line that counts
    /// the files and names them ("2 attachments: a.png, b.pdf").
    package var sectionText: String {
        let head = "*\(Self.escape(displayName, limit: Self.nameLimit))*\n"
        let files = attachmentsLine
        let budget = Self.sectionLimit - head.utf16.count - files.utf16.count
        return head + (content.isEmpty ? "" : Self.escape(content, limit: budget)) + files
    }

    /// The line that lists the files, escaped, at most ``attachmentsLimit`` UTF-16 units; empty without files.
    var attachmentsLine: String {
        guard !attachmentNames.isEmpty else { return "" }
        let names = attachmentNames.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: ", ")
        let lead = (content.isEmpty ? "" : "\n") + MessageAttachment.countText(attachmentNames.count) + ": "
        return lead + Self.escape(names, limit: Self.attachmentsLimit - lead.utf16.count)
    }

    /// The most characters of the file list.
    static let attachmentsLimit = 600

    /// The admin page of the conversation (the admin inbox for a test notice).
    package var link: String {
        adminURLBase + "/admin/messages" + (conversationId.map { "/\($0.lowercasedString)" } ?? "")
    }

    private struct Text: Encodable {
        var type: String
        var text: String
    }
    private struct Element: Encodable {
        var type = "button"
        var text: Text
        var url: String
    }
    private struct Block: Encodable {
        var type: String
        var text: Text?
        var elements: [Element]?
    }
    private struct Payload: Encodable {
        var text: String
        var blocks: [Block]
    }

    /// The webhook's JSON body.
    package var payload: [UInt8] {
        let value = Payload(
            text: "New message from \(Self.escape(displayName, limit: Self.nameLimit))",
            blocks: [
                Block(type: "section", text: Text(type: "mrkdwn", text: sectionText)),
                Block(type: "actions", elements: [Element(text: Text(type: "plain_text", text: "View Conversation"), url: link)]),
            ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data())
    }

    /// The request to the webhook at `url`.
    package func request(to url: String) -> HTTPClient.Request {
        HTTPClient.Request(url: url, headers: [("Content-Type", "application/json; charset=utf-8")], body: payload)
    }
}
