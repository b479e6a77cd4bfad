import Foundation

/// A message of a conversation posted as a reply in its Slack thread: the sender's name in bold, then the text,
/// escaped for mrkdwn and cut within Slack's 40,000 characters of message text, then the names of its files.
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

    /// The reply's mrkdwn.
    var text: String {
        let head = "*\(SlackNotice.escape(senderName, limit: SlackNotice.nameLimit))*\(senderIsAdmin ? " (admin)" : "")\n"
        let files = SlackNotice.attachmentsLine(attachmentNames, afterText: !content.isEmpty)
        return head + SlackNotice.escape(content, limit: SlackBlocks.messageTextLimit - head.utf16.count - files.utf16.count) + files
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
