import Foundation

/// A message of a conversation posted as a reply in its Slack thread: the sender's name in bold, then the text,
/// escaped for mrkdwn (a user's quoted) and cut within Slack's 40,000 characters of message text, then the names of
/// its files.
package struct SlackThreadReply: Sendable, Equatable {
    package var senderName: String
    package var senderIsAdmin: Bool
    package var content: String
    /// The file names of the message's attachments.
    package var attachmentNames: [String]

    package init(senderName: String, senderIsAdmin: Bool, content: String, attachmentNames: [String] = []) {
        self.senderName = senderName
        self.senderIsAdmin = senderIsAdmin
        self.content = content
        self.attachmentNames = attachmentNames
    }

    /// The reply's mrkdwn. A user's text is quoted line by line: Slack shows a bot's posts in a row without their
    /// header, and an unquoted line of the user's such as `*Ann* (admin)` would pass for an admin's reply.
    var text: String {
        let head = "*\(SlackNotice.escape(senderName, limit: SlackNotice.nameLimit))*\(senderIsAdmin ? " (admin)" : "")\n"
        let files = SlackNotice.attachmentsLine(attachmentNames, afterText: !content.isEmpty)
        let room = SlackBlocks.messageTextLimit - head.utf16.count - files.utf16.count
        return head + (senderIsAdmin ? SlackNotice.escape(content, limit: room) : Self.quoted(content, limit: room)) + files
    }

    /// `content` escaped and quoted (`> ` before each line), cut to at most `limit` UTF-16 code units. Lines end at
    /// any line break (`\r\n`, a lone `\r`, U+2028...), each written as `\n`: one left inside a quoted line could start
    /// an unquoted one where Slack shows it.
    static func quoted(_ content: String, limit: Int) -> String {
        guard !content.isEmpty else { return "" }
        func lines(_ text: String) -> [Substring] { text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) }
        func quote(_ text: String) -> String { lines(text).map { "> " + $0 }.joined(separator: "\n") }
        let cut = SlackNotice.escape(content, limit: limit)
        let quotedText = quote(cut)
        guard quotedText.utf16.count > limit else { return quotedText }
        // Each line takes two more: cut again, leaving them room (a shorter text has no more lines).
        return quote(SlackNotice.escape(content, limit: max(SlackNotice.ellipsis.utf16.count, limit - 2 * lines(cut).count)))
    }

    private struct Post: Encodable {
        var channel: String
        var threadTs: String?
        var text: String
        var metadata: SlackBlocks.Metadata?
        var unfurlLinks = false
        var unfurlMedia = false

        enum CodingKeys: String, CodingKey {
            case channel, text, metadata
            case threadTs = "thread_ts"
            case unfurlLinks = "unfurl_links"
            case unfurlMedia = "unfurl_media"
        }
    }

    /// The `chat.postMessage` body of the reply in `thread` for message `messageId` (in its metadata).
    package func postBody(in thread: SlackThread, messageId: UUID) -> [UInt8] {
        SlackBlocks.encode(
            Post(channel: thread.channelId, threadTs: thread.threadTs, text: text, metadata: SlackBlocks.Metadata(messageId: messageId)))
    }

    /// The `chat.postMessage` body of the text on its own in `channel` (not in a thread: `msgctl slack test`).
    package func postBody(channel: String) -> [UInt8] {
        SlackBlocks.encode(Post(channel: channel, threadTs: nil, text: text))
    }
}
