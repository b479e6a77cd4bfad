import Foundation

/// Reads for real-time delivery: rows named by notifications, replays on connect and resume, catch-up.
package enum DeliveryRepository {
    static let select = """
        SELECT m.id, m.conversation_id, m.sender_id, m.content, m.created_at, m.read_at, m.edited_at, m.deleted_at,
               c.user_id AS conversation_user_id, \(User.columns("u", prefix: "u_"))
        FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN users u ON u.id = m.sender_id
        """

    static func rows(_ rows: PostgresRows) throws -> [DeliverableMessage] {
        try rows.map { row in
            DeliverableMessage(
                message: try Message(row: row), sender: try User(row: row, prefix: "u_"), conversationUserId: try row.decode("conversation_user_id"))
        }
    }

    /// The visible messages among `ids`, in id order.
    package static func messages(_ db: PostgresConnection, ids: [UUID]) throws -> [DeliverableMessage] {
        try rows(db.query(select + " WHERE m.id = ANY($1::uuid[]) AND m.deleted_at IS NULL ORDER BY m.id", [ids]))
    }

    /// Visible messages after `lastId` in the conversations `viewer` sees, in id order, at most `limit`.
    ///
    /// An admin's range is a scan of the primary key; a user's stays inside their conversation's index.
    package static func messages(_ db: PostgresConnection, after lastId: UUID, viewer: User, limit: Int) throws -> [DeliverableMessage] {
        if viewer.isAdmin {
            return try rows(db.query(select + " WHERE m.id > $1 AND m.deleted_at IS NULL ORDER BY m.id LIMIT $2", [lastId, limit]))
        }
        return try rows(
            db.query(
                select + """
                     WHERE m.conversation_id = (SELECT id FROM conversations WHERE user_id = $2)
                      AND m.created_at >= coalesce((SELECT created_at FROM messages WHERE id = $1), '-infinity')
                      AND m.id > $1 AND m.deleted_at IS NULL
                    ORDER BY m.id LIMIT $3
                    """, [lastId, viewer.id, limit]))
    }

    /// Unread messages addressed to `viewer` (sent by the other side), oldest first, at most `limit`.
    package static func unread(_ db: PostgresConnection, viewer: User, limit: Int) throws -> [DeliverableMessage] {
        if viewer.isAdmin {
            return try rows(
                db.query(
                    select + " WHERE m.read_at IS NULL AND m.deleted_at IS NULL AND NOT u.is_admin ORDER BY m.id LIMIT $1", [limit]))
        }
        return try rows(
            db.query(
                select + """
                     WHERE m.conversation_id = (SELECT id FROM conversations WHERE user_id = $1)
                      AND m.read_at IS NULL AND m.deleted_at IS NULL AND u.is_admin
                    ORDER BY m.id LIMIT $2
                    """, [viewer.id, limit]))
    }

    /// Messages created, and messages read, since `time` (for a listener catching up after a lost connection).
    package static func changes(_ db: PostgresConnection, since time: Timestamp) throws -> (created: [DeliverableMessage], read: [DeliverableMessage])
    {
        let created = try rows(db.query(select + " WHERE m.created_at >= $1 AND m.deleted_at IS NULL ORDER BY m.id", [time]))
        let read = try rows(db.query(select + " WHERE m.read_at >= $1 AND m.deleted_at IS NULL ORDER BY m.read_at, m.id", [time]))
        return (created, read)
    }

    /// Subscribes `db` to the events every relay delivers (``RealtimeEvent/channel``).
    package static func listen(_ db: PostgresConnection) throws {
        try db.execute("LISTEN \(RealtimeEvent.channel)")
    }

    /// A round trip on a listener's connection that gives up after `timeout` seconds; returns the server's clock.
    package static func probe(_ db: PostgresConnection, timeout: Double) throws -> Timestamp {
        let rows = try db.queryWithDeadline("SELECT clock_timestamp() AS now", timeout: timeout)
        guard let row = rows.first else { throw DatabaseError(.unavailable, message: "the probe returned no row") }
        return try row.decode("now")
    }

    /// Sends events on the real-time channel, within the caller's transaction (delivered at commit).
    package static func notify(_ db: PostgresConnection, _ events: [RealtimeEvent]) throws {
        guard !events.isEmpty else { return }
        try db.query("SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload", [RealtimeEvent.channel, events.map(\.payload)])
    }
}
