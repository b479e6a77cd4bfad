import ArgumentParser
import Foundation
import MsgLib

struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "archive", abstract: "Archive a conversation (it leaves the default list).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @Argument(help: "The conversation: its id, an id prefix, or the user's username.") var conversation: String

    func run() async throws {
        try await setArchived(connection: connection, admin: admin, conversation: conversation, archived: true)
    }
}

struct UnarchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unarchive", abstract: "Bring an archived conversation back.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @Argument(help: "The conversation: its id, an id prefix, or the user's username.") var conversation: String

    func run() async throws {
        try await setArchived(connection: connection, admin: admin, conversation: conversation, archived: false)
    }
}

private func setArchived(connection: ConnectionOptions, admin: AdminOptions, conversation: String, archived: Bool) async throws {
    let updated = try await connection.withService { service in
        let viewer = try await service.admin(named: admin.admin)
        let (found, _) = try await service.resolveConversation(conversation)
        return try await service.setArchived(viewer: viewer, id: found.id, archived: archived)
    }
    FileOutput.standardOutput.write("\(archived ? "archived" : "unarchived") \(updated.id.lowercasedString)\n")
}

struct ReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read", abstract: "Mark as read every message users sent in a conversation, or in all of them.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @Argument(help: "The conversation: its id, an id prefix, or the user's username.") var conversation: String?
    @Flag(help: "Every conversation with unread messages.") var all = false

    func validate() throws {
        if all == (conversation != nil) { throw ValidationError("name a conversation or give --all (not both)") }
    }

    func run() async throws {
        let count = try await connection.withService { service in
            let viewer = try await service.admin(named: admin.admin)
            var ids: [UUID] = []
            if let conversation {
                ids = [try await service.resolveConversation(conversation).conversation.id]
            } else {
                let (listings, _) = try await service.listConversations(viewer: viewer, page: 1, limit: 1_000_000, archived: false, unreadOnly: true)
                let (archived, _) = try await service.listConversations(viewer: viewer, page: 1, limit: 1_000_000, archived: true, unreadOnly: true)
                ids = (listings + archived).map(\.conversation.id)
            }
            var count = 0
            for id in ids { count += try await service.bulkRead(viewer: viewer, conversationId: id, messageIds: nil).count }
            return count
        }
        FileOutput.standardOutput.write("marked \(messages(count)) read\n")
    }
}

struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Soft-delete a conversation's messages, or one message (they stay in the database).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @Argument(help: "The conversation: its id, an id prefix, or the user's username.") var conversation: String?
    @Option(help: "Delete this one message instead.") var message: String?
    @Flag(help: "Do not ask for confirmation.") var yes = false

    func validate() throws {
        if (conversation == nil) == (message == nil) { throw ValidationError("name a conversation or give --message (not both)") }
        if let message, UUID(uuidString: message) == nil { throw ValidationError("--message must be a message id (UUID)") }
    }

    func run() async throws {
        // The conversation is found before the question, which names whose it is (an id prefix may not be the one meant).
        var target: (id: UUID, username: String)?
        if let conversation {
            target = try await connection.withService { service in
                let found = try await service.resolveConversation(conversation)
                return (id: found.conversation.id, username: found.user.username)
            }
        }
        let what =
            message.map { "message \($0)" }
            ?? "every message of \(target.map { "\($0.username)'s conversation (\($0.id.lowercasedString))" } ?? "")"
        if !yes {
            try Confirmation.requireTerminal(refusing: "delete \(what)")
            guard Confirmation.ask("delete \(TerminalText.escaped(what))?") else { throw UserFacingError("nothing deleted", exitStatus: .failure) }
        }
        let (message, resolved) = (message, target)
        let count = try await connection.withService { service in
            let viewer = try await service.admin(named: admin.admin)
            if let message {
                try await service.deleteMessage(viewer: viewer, messageId: UUID(uuidString: message)!)
                return 1
            }
            return try await service.deleteConversation(viewer: viewer, id: resolved!.id)
        }
        FileOutput.standardOutput.write("deleted \(messages(count))\n")
    }
}

struct EditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit", abstract: "Change the text of your own reply, within 15 minutes of sending it.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @Argument(help: "The message id.") var message: String
    @Argument(help: "The new text (default: read from stdin).") var text: String?

    func validate() throws {
        if UUID(uuidString: message) == nil { throw ValidationError("the message must be given by its id (UUID)") }
    }

    func run() async throws {
        let content = try textArgumentOrStandardInput(text)
        let id = UUID(uuidString: message)!
        let edited = try await connection.withService { service in
            try await service.editMessage(viewer: try await service.admin(named: admin.admin), messageId: id, content: content)
        }
        FileOutput.standardOutput.write("edited \(edited.id.lowercasedString)\n")
    }
}
