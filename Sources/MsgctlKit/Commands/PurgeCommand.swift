import ArgumentParser
import Foundation
import MsgLib

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge", abstract: "Remove soft-deleted messages and their history for good.",
        discussion: """
            Removes the messages deleted before --deleted-before, with their edit and delete history and their notification \
            jobs. With ATTACHMENT_STORE set, their files go first (as attachments purge does); without it, messages with \
            files still stored are kept, and so is a message a conversation's Slack thread is anchored on. Asks on a \
            terminal; elsewhere it needs --yes. See docs/retention.md.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Messages deleted before this: \(TimeWindow.expected).") var deletedBefore: String
    @Flag(help: "Do not ask for confirmation.") var yes = false

    func validate() throws {
        let now = Timestamp.now()
        guard let cutoff = TimeWindow.parse(deletedBefore, now: now) else {
            throw ValidationError("--deleted-before must be \(TimeWindow.expected)")
        }
        guard cutoff <= now else { throw ValidationError("--deleted-before must not be in the future") }
    }

    func run() async throws {
        guard let cutoff = TimeWindow.parse(deletedBefore) else { throw ValidationError("--deleted-before must be \(TimeWindow.expected)") }
        let before = "deleted before \(HumanTime.format(cutoff))"
        let ask = !yes
        if ask { try Confirmation.requireTerminal(refusing: "purge the messages \(before)") }
        let attachments = try ConnectionOptions.environmentAttachments()
        let withFiles = attachments != nil
        let purge = { @Sendable (service: MessagingService) async throws -> (PurgeSummary, FileRemoval)? in
            if ask {
                let count = try await service.countDeletedMessages(before: cutoff)
                let removable = count.messages + (withFiles ? count.keptForFiles : 0)
                guard Confirmation.ask("remove the \(messages(removable)) \(before) and their history, for good?") else { return nil }
            }
            var files = FileRemoval()
            // The files by the same cut-off as the messages: one of a message kept is kept.
            if withFiles { files = try await service.purgeDeletedAttachments(deletedBefore: cutoff) }
            return (try await service.purgeDeletedMessages(before: cutoff), files)
        }
        let result = try await connection.withService(attachments: attachments, purge)
        guard let (done, files) = result else { throw UserFacingError("nothing purged", exitStatus: .failure) }
        var text =
            "removed \(messages(done.messages)) \(before), \(done.historyEntries) history entries, \(done.notificationJobs) notification jobs\n"
        if done.keptForFiles > 0 {
            text += "kept \(messages(done.keptForFiles)) whose files are still stored: purge with ATTACHMENT_STORE set\n"
        }
        if done.keptForSlack > 0 { text += "kept \(messages(done.keptForSlack)) that a conversation's Slack thread starts from\n" }
        FileOutput.standardOutput.write(text)
        try AttachmentsCommand.check(files)
    }
}
