import Foundation

/// Which admin a Slack user acts as.
package struct SlackLink: Sendable, Equatable {
    package var slackUserId: String
    package var admin: User
    /// Who made the link (msgctl records the operating-system user that ran it).
    package var linkedBy: String
    package var linkedAt: Timestamp
}

/// The `slack_links` table: one admin per Slack user.
package enum SlackLinkRepository {
    static let select = """
        SELECT l.slack_user_id, l.linked_by, l.linked_at, \(User.columns("u", prefix: "u_"))
        FROM slack_links l JOIN users u ON u.id = l.admin_id
        """

    /// The link of `slackUserId`, if any.
    package static func find(_ db: PostgresConnection, slackUserId: String) throws -> SlackLink? {
        try db.query("\(select) WHERE l.slack_user_id = $1", [slackUserId]).first.map { try SlackLink(row: $0) }
    }

    /// Every link, by Slack user id.
    package static func list(_ db: PostgresConnection) throws -> [SlackLink] {
        try db.query("\(select) ORDER BY l.slack_user_id").map { try SlackLink(row: $0) }
    }

    /// Links `slackUserId` to `adminId` unless it is linked already; returns the link as stored (the existing one
    /// when there was one).
    package static func insert(_ db: PostgresConnection, slackUserId: String, adminId: UUID, linkedBy: String) throws -> SlackLink {
        try db.query(
            """
            INSERT INTO slack_links (slack_user_id, admin_id, linked_by) VALUES ($1, $2, $3)
            ON CONFLICT (slack_user_id) DO NOTHING
            """, [slackUserId, adminId, linkedBy])
        guard let link = try find(db, slackUserId: slackUserId) else {
            throw DatabaseError(.unavailable, message: "the Slack link vanished while it was made", statement: "slack_links")
        }
        return link
    }

    /// Removes the link of `slackUserId`; returns it, or nil when there was none.
    package static func delete(_ db: PostgresConnection, slackUserId: String) throws -> SlackLink? {
        guard let link = try find(db, slackUserId: slackUserId) else { return nil }
        try db.query("DELETE FROM slack_links WHERE slack_user_id = $1", [slackUserId])
        return link
    }
}

extension SlackLink {
    init(row: PostgresRow) throws(DatabaseError) {
        self.init(
            slackUserId: try row.decode("slack_user_id"), admin: try User(row: row, prefix: "u_"), linkedBy: try row.decode("linked_by"),
            linkedAt: try row.decode("linked_at"))
    }
}
