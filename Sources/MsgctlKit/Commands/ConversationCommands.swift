import ArgumentParser
import Foundation
import MsgLib

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List conversations, most recent activity first.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @OptionGroup var output: TableOutputOptions
    @Flag(help: "Only conversations with messages you have not read.") var unread = false
    @Flag(help: "Archived conversations instead of active ones.") var archived = false
    @Option(help: "Only this user's conversation (username or id).") var user: String?
    @Option(help: "Conversations per page (1-100).") var limit = 20
    @Option(help: "Page, from 1.") var page = 1

    /// The part of an id shown (`0193a1b2-c3d4`): a uuidv7's whole millisecond. Its first 8 hex digits change only
    /// every 65 seconds, so conversations started in the same minute would show alike.
    static let shownIdLength = 13

    func validate() throws {
        guard (1...100).contains(limit) else { throw ValidationError("--limit must be from 1 to 100") }
        guard page >= 1 else { throw ValidationError("--page must be 1 or more") }
    }

    func run() async throws {
        let response = try await connection.withService { service in
            let viewer = try await service.admin(named: admin.admin)
            var userId: UUID?
            if let user { userId = try await service.resolveConversation(user).user.id }
            let (listings, total) = try await service.listConversations(
                viewer: viewer, page: page, limit: limit, archived: archived, unreadOnly: unread, userId: userId)
            return ConversationListResponse(listings: listings, total: total, page: page, limit: limit, viewer: viewer)
        }
        if output.json {
            try JSONOutput.print(response)
            return
        }
        var table = TextTable("ID", "USER", "UNREAD", "LAST MESSAGE", "PREVIEW")
        for item in response.conversations {
            let preview = (item.lastMessagePreview ?? nil).map { String($0.replacingOccurrences(of: "\n", with: " ").prefix(40)) } ?? ""
            table.append([
                TableCell(human: String(item.id.prefix(Self.shownIdLength)), machine: item.id), TableCell(item.user.username),
                .count(item.unreadCount, emphasiseNonZero: true), .time(item.lastMessageAt),
                TableCell(human: preview, machine: (item.lastMessagePreview ?? nil) ?? ""),
            ])
        }
        output.print(
            table,
            footer: "page \(response.pagination.page) of \(max(response.pagination.totalPages, 1)), \(response.pagination.total) conversations\n")
    }
}

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a conversation's transcript.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The conversation: its id, an id prefix, or the user's username.") var conversation: String
    @Option(help: "The newest messages to show (1-200).") var limit = 50
    @Flag(help: "Each message's earlier versions, deletions and restores: who, when, the text replaced.") var history = false

    func validate() throws {
        guard (1...200).contains(limit) else { throw ValidationError("--limit must be from 1 to 200") }
    }

    func run() async throws {
        let history = self.history
        let (user, response, changes) = try await connection.withService { service in
            let viewer = try await service.admin(named: admin.admin)
            let (found, user) = try await service.resolveConversation(conversation)
            let (messages, total) = try await service.listMessages(viewer: viewer, conversationId: found.id, page: .init(limit: limit))
            let changes = history ? try await service.messageHistories(viewer: viewer, messageIds: messages.map(\.message.id)) : [:]
            return (user, MessageListResponse(messages: messages, total: total, page: 1, limit: limit, viewer: viewer), changes)
        }
        if output.json {
            guard history else { return try JSONOutput.print(response) }
            let byId = Dictionary(
                uniqueKeysWithValues: changes.map { ($0.key.lowercasedString, $0.value.map(MessageHistoryEntryRepresentation.init)) })
            try JSONOutput.print(TranscriptWithHistory(transcript: response, history: byId))
            return
        }
        var text = Transcript.heading(displayName: user.displayName, username: user.username, total: response.pagination.total) + "\n"
        for message in response.messages {
            let who = message.sender.isAdmin ? "\(message.sender.username) (admin)" : message.sender.username
            text += "\n" + Transcript.entry(time: message.createdAt, who: who, edited: message.editedAt != nil, content: message.content) + "\n"
            if !message.attachments.isEmpty { text += Transcript.attachments(message.attachments) + "\n" }
            if let entries = UUID(uuidString: message.id).flatMap({ changes[$0] }), !entries.isEmpty {
                text += Transcript.history(entries) + "\n"
            }
            if !message.reactions.isEmpty { text += Transcript.reactions(message.reactions) + "\n" }
        }
        FileOutput.standardOutput.write(text)
    }
}

struct ReplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reply", abstract: "Reply in a conversation, as an admin; the text comes from the argument or stdin.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The conversation: its id, an id prefix, or the user's username.") var conversation: String
    @Argument(help: "The reply (default: read from stdin).") var text: String?
    @Option(
        name: .customLong("attachment"),
        help: ArgumentHelp("An upload of the admin's (POST /api/attachments) to attach; repeat for more, up to 10.", valueName: "id"))
    var attachments: [String] = []
    @Option(
        name: .customLong("idempotency-key"),
        help: ArgumentHelp(
            "A key for this reply (1 to 255 visible ASCII characters): run again with it after a failure, it is written once.",
            valueName: "key"))
    var idempotencyKey: String?

    func validate() throws {
        guard attachments.count <= AttachmentConfiguration.maxPerMessage else { throw ValidationError("at most 10 --attachment") }
        for id in attachments where UUID(uuidString: id) == nil { throw ValidationError("--attachment must be an attachment id (a UUID)") }
        if let idempotencyKey, (try? ClientKey.header(idempotencyKey)) == nil {
            throw ValidationError("--idempotency-key must be 1 to \(ClientKey.maximumLength) visible ASCII characters")
        }
    }

    func run() async throws {
        let content = try textArgumentOrStandardInput(text)
        let ids = attachments.compactMap(UUID.init(uuidString:))
        let key = idempotencyKey
        let send: (MessagingService) async throws -> Message = { service in
            let viewer = try await service.admin(named: admin.admin)
            let (found, _) = try await service.resolveConversation(conversation)
            return try await service.sendMessage(
                viewer: viewer, conversationId: found.id, content: content, attachmentIds: ids, clientKey: key, source: .msgctl
            ).message
        }
        let message = try await ids.isEmpty ? connection.withService(send) : connection.withAttachmentService(send)
        if output.json {
            try JSONOutput.print(MessageCreatedResponse(message))
        } else {
            FileOutput.standardOutput.write(message.id.lowercasedString + "\n")
        }
    }
}
