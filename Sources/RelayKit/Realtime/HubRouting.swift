import Foundation

/// Who receives which event: pure functions of a ``HubRegistry``.
///
/// - A message goes to every socket of the conversation's user and of every admin (the sender's other tabs too).
/// - A read receipt goes to the same sockets (the sender learns it was read; the reader's other tabs sync).
/// - A typing indicator goes to the other party only: the admins when the user types, the user when an admin does;
///   never to a socket of the typer.
///
/// Each socket appears at most once in a result (an admin who is the conversation's user is not counted twice).
enum HubRouting {
    /// The sockets that get a new message of the conversation of `conversationUserID`.
    static func messageRecipients<Socket>(conversationUserID: UUID, in registry: HubRegistry<Socket>) -> [Socket] {
        participants(of: conversationUserID, in: registry)
    }

    /// The sockets that get a read receipt in the conversation of `conversationUserID`.
    static func readRecipients<Socket>(conversationUserID: UUID, in registry: HubRegistry<Socket>) -> [Socket] {
        participants(of: conversationUserID, in: registry)
    }

    /// The sockets that get a typing indicator sent by `typerID` in the conversation of `conversationUserID`.
    static func typingRecipients<Socket>(
        conversationUserID: UUID, typerID: UUID, fromAdmin: Bool, in registry: HubRegistry<Socket>
    ) -> [Socket] {
        let targets = fromAdmin ? registry.sockets(of: conversationUserID) : registry.adminSockets
        return targets.filter { $0.userID != typerID }
    }

    /// The conversation's user's sockets, then the admins' (but for the user's own, already there).
    static func participants<Socket>(of conversationUserID: UUID, in registry: HubRegistry<Socket>) -> [Socket] {
        var out = registry.sockets(of: conversationUserID)
        out.append(contentsOf: registry.adminSockets.filter { $0.userID != conversationUserID })
        return out
    }
}
