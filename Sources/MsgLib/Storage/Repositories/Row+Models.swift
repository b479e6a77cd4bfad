import Foundation

// Decoding of model types from result rows. Joined queries prefix the columns of a second table
// (e.g. `u_username`), and pass that prefix here.

extension User {
    init(row: PostgresRow, prefix: String = "") throws(DatabaseError) {
        self.init(
            id: try row.decode(prefix + "id"),
            username: try row.decode(prefix + "username"),
            displayName: try row.decode(prefix + "display_name"),
            slug: try row.decode(prefix + "slug"),
            isAdmin: try row.decode(prefix + "is_admin"),
            createdAt: try row.decode(prefix + "created_at"))
    }

    /// The columns `init(row:prefix:)` reads, from table alias `alias`, renamed with `prefix`.
    static func columns(_ alias: String, prefix: String) -> String {
        ["id", "username", "display_name", "slug", "is_admin", "created_at"]
            .map { "\(alias).\($0) AS \(prefix)\($0)" }.joined(separator: ", ")
    }
}

extension Conversation {
    init(row: PostgresRow) throws(DatabaseError) {
        self.init(
            id: try row.decode("id"),
            userId: try row.decode("user_id"),
            createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"),
            lastMessageAt: try row.decode("last_message_at"),
            unreadCountUser: try row.decode("unread_count_user"),
            unreadCountAdmin: try row.decode("unread_count_admin"),
            archivedByAdmin: try row.decode("archived_by_admin"),
            archivedAt: try row.decode("archived_at"))
    }
}

extension Message {
    init(row: PostgresRow) throws(DatabaseError) {
        self.init(
            id: try row.decode("id"),
            conversationId: try row.decode("conversation_id"),
            senderId: try row.decode("sender_id"),
            content: try row.decode("content"),
            createdAt: try row.decode("created_at"),
            readAt: try row.decode("read_at"),
            editedAt: try row.decode("edited_at"),
            deletedAt: try row.decode("deleted_at"))
        // Reads that do not select the column (counts, ids) leave the list empty.
        if row.rows.columnIndex("attachments") != nil {
            attachments = MessageAttachment.list(json: try row.decode("attachments", as: String?.self))
        }
    }
}

extension PushSubscription {
    init(row: PostgresRow, prefix: String = "") throws(DatabaseError) {
        self.init(
            id: try row.decode(prefix + "id"),
            userId: try row.decode(prefix + "user_id"),
            endpoint: try row.decode(prefix + "endpoint"),
            p256dhKey: try row.decode(prefix + "p256dh_key"),
            authKey: try row.decode(prefix + "auth_key"),
            createdAt: try row.decode(prefix + "created_at"),
            lastUsedAt: try row.decode(prefix + "last_used_at"))
    }
}
