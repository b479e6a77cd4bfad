import Foundation

/// The message that heads a conversation's Slack thread: who wrote, a preview of the message that started the
/// thread, the conversation's state, and its buttons.
///
/// Buttons carry stable `action_id`s (``markReadAction``, ``archiveAction`` / ``unarchiveAction``,
/// ``viewAction``) and the conversation id as their `value`, which is what the interactions endpoint reads.
package struct SlackParentMessage: Sendable, Equatable {
    package var conversationId: UUID
    /// The conversation's user.
    package var userName: String
    /// The text of the message the thread was started for, nil when it was deleted.
    package var preview: String?
    /// Who wrote the preview when it was not the conversation's user (an admin), else nil.
    package var previewAuthor: String?
    /// The file names of that message's attachments.
    package var previewAttachments: [String] = []
    /// Messages from the user the admin has not read.
    package var unreadCount: Int
    package var archived: Bool
    package var adminURLBase: String

    package static let markReadAction = "mark_read"
    package static let archiveAction = "archive"
    package static let unarchiveAction = "unarchive"
    package static let viewAction = "view"

    package init(
        conversationId: UUID, userName: String, preview: String?, previewAuthor: String? = nil, unreadCount: Int, archived: Bool,
        adminURLBase: String
    ) {
        self.conversationId = conversationId
        self.userName = userName
        self.preview = preview
        self.previewAuthor = previewAuthor
        self.unreadCount = unreadCount
        self.archived = archived
        self.adminURLBase = adminURLBase
    }

    /// The section's mrkdwn: the user's name in bold, then the preview, within Block Kit's 3,000 characters.
    var sectionText: String {
        var head = "*\(SlackNotice.escape(userName, limit: SlackNotice.nameLimit))*\n"
        if let previewAuthor { head += "_\(SlackNotice.escape(previewAuthor, limit: SlackNotice.nameLimit)):_ " }
        guard let preview else { return head + "_(message deleted)_" }
        let files = SlackNotice.attachmentsLine(previewAttachments, afterText: !preview.isEmpty)
        return head + SlackNotice.escape(preview, limit: SlackNotice.sectionLimit - head.utf16.count - files.utf16.count) + files
    }

    /// The state line: unread count and archived.
    var stateText: String {
        let unread = unreadCount == 0 ? "No unread messages" : unreadCount == 1 ? "1 unread message" : "\(unreadCount) unread messages"
        return archived ? unread + " · Archived" : unread
    }

    /// The notification text (shown where blocks are not: notifications, screen readers).
    var fallbackText: String {
        "New conversation from \(SlackNotice.escape(userName, limit: SlackNotice.nameLimit))"
    }

    var link: String { adminURLBase + "/admin/messages/" + conversationId.lowercasedString }

    var blocks: [SlackBlocks.Block] {
        let id = conversationId.lowercasedString
        let archive =
            archived
            ? SlackBlocks.Button(actionId: Self.unarchiveAction, text: .plain("Unarchive"), value: id)
            : SlackBlocks.Button(actionId: Self.archiveAction, text: .plain("Archive"), value: id)
        return [
            SlackBlocks.Block(type: "section", text: .mrkdwn(sectionText)),
            SlackBlocks.Block(type: "context", elements: [.text(.mrkdwn(stateText))]),
            SlackBlocks.Block(
                type: "actions", blockId: "conversation",
                elements: [
                    .button(SlackBlocks.Button(actionId: Self.markReadAction, text: .plain("Mark as read"), value: id, style: "primary")),
                    .button(archive),
                    .button(SlackBlocks.Button(actionId: Self.viewAction, text: .plain("View"), value: id, url: link)),
                ]),
        ]
    }

    private struct Post: Encodable {
        var channel: String
        var ts: String?
        var text: String
        var blocks: [SlackBlocks.Block]
        var metadata: SlackBlocks.Metadata?
        var unfurlLinks = false
        var unfurlMedia = false

        enum CodingKeys: String, CodingKey {
            case channel, ts, text, blocks, metadata
            case unfurlLinks = "unfurl_links"
            case unfurlMedia = "unfurl_media"
        }
    }

    /// The `chat.postMessage` body that starts the thread in `channel` for message `messageId` (in its metadata).
    package func postBody(channel: String, messageId: UUID) -> [UInt8] {
        SlackBlocks.encode(Post(channel: channel, text: fallbackText, blocks: blocks, metadata: SlackBlocks.Metadata(messageId: messageId)))
    }

    /// The `chat.update` body that rewrites the parent `ts` in `channel`.
    package func updateBody(channel: String, ts: String) -> [UInt8] {
        SlackBlocks.encode(Post(channel: channel, ts: ts, text: fallbackText, blocks: blocks))
    }
}
