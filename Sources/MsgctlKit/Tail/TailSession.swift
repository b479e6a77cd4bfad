import Foundation
@preconcurrency import Glibc
import MsgLib

/// `msgctl tail`'s loop, on a thread of its own: waits for the relay's frames (``LiveConnection``) and for the
/// reader of standard output to go away, and prints what ``TailFollower`` says to show.
struct TailSession: Sendable {
    let service: MessagingService
    let admin: User
    let live: LiveConnection
    /// Only this user's conversation; nil for all.
    let only: UUID?
    let json: Bool

    /// Follows until standard output's reader goes away (then nil: a quiet end) or the relay refuses the admin.
    func run() -> UserFacingError? {
        live.start()
        defer { live.stop() }
        var follower = TailFollower()
        var owners: [String: TailLine.ConversationUser] = [:]
        while true {
            // Standard output is watched for errors only: a pipe whose reader closed reports POLLERR at once, so
            // `msgctl tail | head -2` ends when head does, not at the next message.
            var watched = [pollfd(fd: live.wakeDescriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: 1, events: 0, revents: 0)]
            _ = poll(&watched, 2, 1000)
            if watched[1].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { return nil }
            for event in live.takeEvents() {
                // A socket that the relay closed for a change of rights (4401) opens again with a token that is still
                // valid: the relay would take the admin, demoted meanwhile, as an ordinary user and send their own
                // conversation only. Each connection checks the admin's rights first.
                if case .connected = event, let refusal = stillAdmin() { return refusal }
                for action in follower.handle(event) {
                    switch action {
                    case .note(let text):
                        FileOutput.standardError.write("msgctl: \(TerminalText.escaped(text))\n")
                    case .stop(let reason):
                        return UserFacingError(reason, exitStatus: .noPermission)
                    case .show(let message):
                        guard let owner = owner(of: message, cache: &owners) else { continue }
                        if let only, owner.id != only.lowercasedString { continue }
                        let line = TailLine(message: message, conversationUser: owner)
                        let written = json ? FileOutput.standardOutput.writeData(line.json + "\n") : FileOutput.standardOutput.write(line.text + "\n")
                        if !written { return nil }
                    }
                }
            }
        }
    }

    /// Nil while the admin is one still; otherwise the refusal (77). A database that cannot say lets tail go on.
    private func stillAdmin() -> UserFacingError? {
        let current: User?
        do {
            current = try blocking { [service, admin] in try await service.user(id: admin.id) }
        } catch {
            return nil
        }
        if current?.isAdmin == true { return nil }
        return UserFacingError("\(TerminalText.escaped(admin.username)) is no longer an admin", exitStatus: .noPermission)
    }

    /// The user of the message's conversation, asked of the database once per conversation: not its sender's role,
    /// which is the one they have now (an admin who replied and was demoted since is no conversation's user). When the
    /// database cannot say, a sender who is not an admin (most likely the conversation's user), not kept; nil for an
    /// admin's message (it is then skipped, with a note).
    private func owner(of message: MessageRepresentation, cache: inout [String: TailLine.ConversationUser]) -> TailLine.ConversationUser? {
        if let known = cache[message.conversationId] { return known }
        do {
            guard let id = UUID(uuidString: message.conversationId) else { throw ServiceError(.invalid, "not a conversation id") }
            let user = try blocking { [service, admin] in try await service.conversation(viewer: admin, id: id).user }
            let found = TailLine.ConversationUser(id: user.id.lowercasedString, username: user.username, displayName: user.displayName)
            cache[message.conversationId] = found
            return found
        } catch {
            if !message.sender.isAdmin {
                return TailLine.ConversationUser(id: message.sender.id, username: message.sender.username, displayName: message.sender.displayName)
            }
            FileOutput.standardError.write(
                "msgctl: message \(TerminalText.escaped(message.id)) skipped: its conversation cannot be read (\(ReplSession.describe(error)))\n")
            return nil
        }
    }
}
