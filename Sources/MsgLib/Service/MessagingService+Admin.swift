import Foundation

extension MessagingService {
    /// The admin a command acts as: the one named (username or id), or the only admin there is.
    /// - Throws: `.notFound` when there is no such admin, `.invalid` when several exist and none is named.
    public func admin(named name: String?) async throws -> User {
        try await pool.withConnection { db in
            if let name {
                guard let user = try Self.user(db, named: name) else { throw ServiceError(.notFound, "no user \"\(name)\"") }
                guard user.isAdmin else { throw ServiceError(.forbidden, "\(user.username) is not an admin") }
                return user
            }
            let admins = try UserRepository.admins(db)
            guard let first = admins.first else { throw ServiceError(.notFound, "there is no admin yet: msgctl user add --admin ...") }
            guard admins.count == 1 else {
                throw ServiceError(
                    .invalid, "there are \(admins.count) admins: say which with --as (\(admins.map(\.username).joined(separator: ", ")))")
            }
            return first
        }
    }

    /// The user of `conversation`; not found when the user was deleted since it was read (the conversation went with
    /// them).
    static func owner(_ db: PostgresConnection, of conversation: Conversation) throws -> User {
        guard let user = try UserRepository.find(db, id: conversation.userId) else { throw ServiceError.conversationNotFound }
        return user
    }

    /// The conversation an admin names on a command line: its id, an unambiguous prefix of it (4 or more
    /// hex digits), or its user's username or id.
    public func resolveConversation(_ text: String) async throws -> (conversation: Conversation, user: User) {
        try await pool.withConnection { db in
            let lowered = text.lowercased()
            // A username may look like an id or the start of one: when a text names both, neither is guessed.
            let user = try UserRepository.find(db, username: text)
            if let id = UUID(uuidString: lowered) {
                var found: (conversation: Conversation, user: User)?
                if let conversation = try ConversationRepository.find(db, id: id) {
                    found = (conversation, try Self.owner(db, of: conversation))
                } else if let owner = try UserRepository.find(db, id: id) {
                    // A user's id names their conversation, as a username does.
                    guard let conversation = try ConversationRepository.find(db, userId: owner.id) else {
                        throw ServiceError(.notFound, "\(owner.username) has no conversation yet")
                    }
                    found = (conversation, owner)
                }
                if let found {
                    if let user, user.id != found.user.id {
                        throw ServiceError(
                            .invalid,
                            "\"\(text)\" is the username of \(user.id.lowercasedString) and the id of another's conversation or user: "
                                + "name that user by their id")
                    }
                    return found
                }
            }
            if lowered.count >= 4, lowered.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                let matches = try ConversationRepository.ids(db, prefix: lowered, limit: 2)
                if let user, !matches.isEmpty {
                    throw ServiceError(
                        .invalid, "\"\(text)\" is the username of \(user.id.lowercasedString) and the start of a conversation's id: give a whole id")
                }
                if matches.count > 1 { throw ServiceError(.invalid, "\"\(text)\" matches several conversations: give more of the id") }
                if let id = matches.first, let conversation = try ConversationRepository.find(db, id: id) {
                    return (conversation, try Self.owner(db, of: conversation))
                }
            }
            guard let user else { throw ServiceError(.notFound, "no conversation or user \"\(text)\"") }
            guard let conversation = try ConversationRepository.find(db, userId: user.id) else {
                throw ServiceError(.notFound, "\(user.username) has no conversation yet")
            }
            return (conversation, user)
        }
    }
}
