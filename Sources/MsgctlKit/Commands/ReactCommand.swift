import ArgumentParser
import Foundation
import MsgLib

struct ReactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "react", abstract: "Add (or with --remove, take back) your emoji reaction on a message, as an admin.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The message id.") var message: String
    @Argument(help: "One emoji, such as 👍.") var emoji: String
    @Flag(help: "Remove the reaction instead of adding it.") var remove = false

    func validate() throws {
        if UUID(uuidString: message) == nil { throw ValidationError("the message must be given by its id (UUID)") }
    }

    func run() async throws {
        let id = UUID(uuidString: message)!
        // NOTIFY_REACTIONS, as the relays have it: a reaction made here is pushed as one made through them.
        let notifications = try NotificationConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
        let (viewer, outcome) = try await connection.withService(notifications: notifications) { service in
            let viewer = try await service.admin(named: admin.admin)
            return (viewer, try await service.react(viewer: viewer, messageId: id, emoji: emoji, add: !remove))
        }
        let response = ReactionsResponse(messageId: id, reactions: outcome.reactions, viewer: viewer)
        if output.json {
            try JSONOutput.print(response)
            return
        }
        let verb = remove ? (outcome.changed ? "removed" : "had not reacted with") : (outcome.changed ? "added" : "had already added")
        var text = "\(verb) \(TerminalText.escaped(emoji)) on \(id.lowercasedString)\n"
        text += response.reactions.isEmpty ? "  no reactions\n" : Transcript.reactions(response.reactions) + "\n"
        FileOutput.standardOutput.write(text)
    }
}
