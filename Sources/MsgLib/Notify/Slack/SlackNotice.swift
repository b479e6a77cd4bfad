import Foundation

/// The Slack incoming-webhook notice of a user's message: the design document's Block Kit payload, with the
/// user's text escaped for Slack's mrkdwn so that nobody can mention `<!channel>` or forge a link.
package struct SlackNotice: Sendable, Equatable {
    package var displayName: String
    package var content: String
    package var conversationId: UUID?
    package var adminURLBase: String

    package init(displayName: String, content: String, conversationId: UUID?, adminURLBase: String) {
        self.displayName = displayName
        self.content = content
        self.conversationId = conversationId
        self.adminURLBase = adminURLBase
    }

    /// The `msgctl slack test` notice.
    package static func test(adminURLBase: String) -> SlackNotice {
        SlackNotice(displayName: "msgctl", content: "Test notice: Slack notifications work.", conversationId: nil, adminURLBase: adminURLBase)
    }

    /// Escapes the three characters Slack's mrkdwn treats as control characters (`&`, `<`, `>`).
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }

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
        let name = Self.escape(displayName)
        let value = Payload(
            text: "New message from \(name)",
            blocks: [
                Block(type: "section", text: Text(type: "mrkdwn", text: "*\(name)*\n\(Self.escape(content))")),
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
