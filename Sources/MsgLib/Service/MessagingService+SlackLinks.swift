import Foundation

extension MessagingService {
    /// Links Slack user `slackUserId` to the admin named `admin` (username or id), so that what they do in Slack is done
    /// as that admin. Linking again to the same admin changes nothing.
    /// - Parameter linkedBy: who makes the link, recorded with it.
    /// - Throws: `.invalid` for a malformed Slack user id, `.notFound` / `.forbidden` when `admin` is no admin,
    ///   `.conflict` when the Slack user is linked to another admin.
    package func linkSlackUser(_ slackUserId: String, admin: String, linkedBy: String) async throws -> SlackLink {
        try Self.validateSlackUserId(slackUserId)
        try Self.requireNoNul(admin, "The admin")
        try Self.requireNoNul(linkedBy, "linked_by")
        return try await pool.withTransaction { db in
            guard let user = try Self.user(db, named: admin) else { throw ServiceError(.notFound, "no user \"\(admin)\"") }
            guard user.isAdmin else { throw ServiceError(.forbidden, "\(user.username) is not an admin") }
            let link = try SlackLinkRepository.insert(db, slackUserId: slackUserId, adminId: user.id, linkedBy: linkedBy)
            guard link.admin.id == user.id else {
                throw ServiceError(.conflict, "\(slackUserId) is already linked to \(link.admin.username): unlink it first")
            }
            return link
        }
    }

    /// Removes the link of Slack user `slackUserId` and returns it.
    /// - Throws: `.invalid` for a malformed id, `.notFound` when it is not linked.
    package func unlinkSlackUser(_ slackUserId: String) async throws -> SlackLink {
        try Self.validateSlackUserId(slackUserId)
        return try await pool.withConnection { db in
            guard let link = try SlackLinkRepository.delete(db, slackUserId: slackUserId) else {
                throw ServiceError(.notFound, "\(slackUserId) is not linked")
            }
            return link
        }
    }

    /// Every Slack link, by Slack user id.
    package func slackLinks() async throws -> [SlackLink] {
        try await pool.withConnection { db in try SlackLinkRepository.list(db) }
    }

    /// The admin Slack user `slackUserId` acts as, nil when they are not linked (or the user linked is no longer an admin).
    static func linkedAdmin(_ db: PostgresConnection, slackUserId: String) throws -> User? {
        guard let link = try SlackLinkRepository.find(db, slackUserId: slackUserId), link.admin.isAdmin else { return nil }
        return link.admin
    }

    /// Refuses what cannot be a Slack user id (`U` or `W`, then 2 to 31 capital letters and digits).
    static func validateSlackUserId(_ id: String) throws {
        guard isSlackUserId(id) else {
            throw ServiceError(
                .invalid,
                "\"\(TerminalText.escaped(String(id.prefix(40))))\" is not a Slack user id (U or W followed by capitals and digits, e.g. U0123ABCD)")
        }
    }

    static func isSlackUserId(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (3...32).contains(bytes.count), bytes[0] == UInt8(ascii: "U") || bytes[0] == UInt8(ascii: "W") else { return false }
        return bytes.dropFirst().allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) }
    }
}
