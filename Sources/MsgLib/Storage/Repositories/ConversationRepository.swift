import Foundation

/// Conversations: one per user, with counters kept by the message triggers.
package enum ConversationRepository {
    static let columns =
        "id, user_id, created_at, updated_at, last_message_at, unread_count_user, unread_count_admin, archived_by_admin, archived_at"

    /// Which conversations a list shows.
    package struct Filter: Sendable {
        /// Only archived (true) or only active (false) ones; nil for both.
        package var archived: Bool?
        /// Only the conversation of this user.
        package var userId: UUID?
        /// Only conversations with messages the admin has not read.
        package var unreadByAdmin: Bool
        package var page: Int
        package var limit: Int

        package init(archived: Bool? = false, userId: UUID? = nil, unreadByAdmin: Bool = false, page: Int = 1, limit: Int = 20) {
            self.archived = archived
            self.userId = userId
            self.unreadByAdmin = unreadByAdmin
            self.page = page
            self.limit = limit
        }
    }

    /// Creates the conversation of `userId`. - Throws: `.conflict` when it already exists.
    package static func insert(_ db: PostgresConnection, userId: UUID) throws -> Conversation {
        try Conversation(row: db.query("INSERT INTO conversations (user_id) VALUES ($1) RETURNING \(columns)", [userId])[0])
    }

    /// Creates the conversation of `userId` unless it exists; returns it either way, its row locked until the
    /// transaction ends (as a send locks it, before anything else).
    static func insertIfMissing(_ db: PostgresConnection, userId: UUID) throws -> Conversation {
        try db.query("INSERT INTO conversations (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING", [userId])
        // Gone when the user was deleted meanwhile: the insert found the row, the deletion's cascade removed it while
        // this waited for its lock.
        guard let conversation = try find(db, userId: userId, lock: true) else { throw AuthError.unknownUser }
        return conversation
    }

    /// The ids of conversations whose id (lowercase text) starts with `prefix`, in order, at most `limit`.
    static func ids(_ db: PostgresConnection, prefix: String, limit: Int) throws -> [UUID] {
        try db.query("SELECT id FROM conversations WHERE id::text LIKE $1 || '%' ORDER BY id LIMIT $2", [prefix, limit])
            .map { try $0.decode(0, as: UUID.self) }
    }

    /// The conversation `id`; with `lock`, its row is locked until the transaction ends (as a send locks it).
    package static func find(_ db: PostgresConnection, id: UUID, lock: Bool = false) throws -> Conversation? {
        try db.query("SELECT \(columns) FROM conversations WHERE id = $1" + (lock ? " FOR UPDATE" : ""), [id]).first.map {
            try Conversation(row: $0)
        }
    }

    /// The conversation of `userId`; with `lock`, as ``find(_:id:lock:)``.
    package static func find(_ db: PostgresConnection, userId: UUID, lock: Bool = false) throws -> Conversation? {
        try db.query("SELECT \(columns) FROM conversations WHERE user_id = $1" + (lock ? " FOR UPDATE" : ""), [userId]).first.map {
            try Conversation(row: $0)
        }
    }

    /// The conversations matching `filter`, most recent activity first, with the total count.
    /// Runs in the caller's transaction (its planner settings end with it).
    package static func list(_ db: PostgresConnection, filter: Filter) throws -> (listings: [ConversationListing], total: Int) {
        // Only the conditions asked for, so that each shape of the query gets a plan that uses the listing index.
        var conditions: [String] = []
        var parameters: [(any PostgresBindable)?] = []
        if let archived = filter.archived {
            parameters.append(archived)
            conditions.append("c.archived_by_admin = $\(parameters.count)")
        }
        if let userId = filter.userId {
            parameters.append(userId)
            conditions.append("c.user_id = $\(parameters.count)")
        }
        if filter.unreadByAdmin { conditions.append("c.unread_count_admin > 0") }
        let matching = conditions.isEmpty ? "TRUE" : conditions.joined(separator: " AND ")
        let total = try db.query("SELECT count(*) FROM conversations c WHERE \(matching)", parameters)[0].decode(0, as: Int.self)
        // The page is chosen first, from the listing index alone (an index-only scan: a deep page costs the index
        // entries it skips); only its rows are read from the table, joined to their users, and given a preview.
        //
        // Every message moves its conversation's index entry, and the pages the entries leave stay part of the index
        // (empty, out of the scan's way): the planner, costing the scan by the index's size, would soon prefer reading
        // the whole table and sorting it (about six times slower at 100,000 conversations). Within the caller's
        // transaction, this statement is planned without either, and without JIT compilation, which the cost of a
        // plan so constrained would otherwise set off (more than 100 ms of compiling for a 20-row page).
        if filter.userId == nil {
            try db.setLocal([("enable_seqscan", "off"), ("enable_sort", "off"), ("jit", "off")])
        }
        let rows = try db.query(
            """
            SELECT c.id, c.user_id, c.created_at, c.updated_at, c.last_message_at, c.unread_count_user,
                   c.unread_count_admin, c.archived_by_admin, c.archived_at, \(User.columns("u", prefix: "u_")),
                   (SELECT left(m.content, 100) FROM messages m
                     WHERE m.conversation_id = c.id AND m.deleted_at IS NULL
                     ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS preview
            FROM (
                SELECT c.id FROM conversations c WHERE \(matching)
                ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC
                LIMIT $\(parameters.count + 1) OFFSET $\(parameters.count + 2)
            ) page
            JOIN conversations c ON c.id = page.id JOIN users u ON u.id = c.user_id
            ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC
            """,
            parameters + [filter.limit, pageOffset(page: filter.page, limit: filter.limit)])
        let listings = try rows.map { row in
            ConversationListing(
                conversation: try Conversation(row: row), user: try User(row: row, prefix: "u_"),
                lastMessagePreview: try row.decode("preview"))
        }
        return (listings, total)
    }

    /// Archives or unarchives; returns the updated conversation, or nil when there is none.
    package static func setArchived(_ db: PostgresConnection, id: UUID, archived: Bool) throws -> Conversation? {
        try db.query(
            """
            UPDATE conversations
            SET archived_by_admin = $2,
                archived_at = CASE WHEN $2 THEN coalesce(archived_at, now()) ELSE NULL END,
                updated_at = now()
            WHERE id = $1 RETURNING \(columns)
            """, [id, archived]
        ).first.map { try Conversation(row: $0) }
    }
}
