import Foundation

/// Edit and delete history (`message_history`, written by a trigger on `messages`, migration 28), and removing
/// soft-deleted messages for good.
extension MessageRepository {
    /// The start of a statement that changes messages on behalf of a user: it names them in the transaction-local
    /// setting `msgrelay.actor`, which the history trigger reads. `parameter` is the statement's parameter holding the
    /// user's id (or NULL). The statement must reference ``actorCondition`` so that the setting is made (once) before
    /// any row changes.
    static func actorPrefix(parameter: Int) -> String {
        "WITH actor AS MATERIALIZED (SELECT set_config('msgrelay.actor', coalesce($\(parameter)::text, ''), true) AS id)"
    }

    /// The condition that makes ``actorPrefix(parameter:)`` run; always true.
    static let actorCondition = "(SELECT id FROM actor) IS NOT NULL"

    static let historyColumns = """
        h.message_id, h.action, h.changed_at, h.actor_id, h.database_role, h.previous_content, h.previous_written_at,
        \(User.columns("a", prefix: "a_"))
        """

    /// The history of the messages among `ids` that have one, each oldest first.
    package static func history(_ db: PostgresConnection, messageIds ids: [UUID]) throws -> [UUID: [MessageHistoryEntry]] {
        let rows = try db.query(
            """
            SELECT \(historyColumns)
            FROM message_history h LEFT JOIN users a ON a.id = h.actor_id
            WHERE h.message_id = ANY($1::uuid[])
            ORDER BY h.message_id, h.id
            """, [ids])
        var out: [UUID: [MessageHistoryEntry]] = [:]
        for row in rows {
            let entry = try MessageHistoryEntry(row: row)
            out[entry.messageId, default: []].append(entry)
        }
        return out
    }

    /// Message `id` (deleted or not) with its sender and history; nil when there is no such message.
    package static func withHistory(_ db: PostgresConnection, id: UUID) throws -> MessageWithHistory? {
        guard
            let row = try db.query(
                """
                SELECT m.id, m.conversation_id, m.sender_id, m.content, m.created_at, m.read_at, m.edited_at, m.deleted_at, m.attachments,
                       \(User.columns("u", prefix: "u_"))
                FROM messages m JOIN users u ON u.id = m.sender_id
                WHERE m.id = $1
                """, [id]
            ).first
        else { return nil }
        return MessageWithHistory(
            message: try Message(row: row), sender: try User(row: row, prefix: "u_"), history: try history(db, messageIds: [id])[id] ?? [])
    }

    /// Which deleted messages a purge may remove: deleted before `$1`, no file of theirs left in the attachment store,
    /// not the message a conversation's Slack thread is anchored on.
    static let purgeable = """
        m.deleted_at < $1
        AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id AND a.state <> 'purged')
        AND NOT EXISTS (SELECT 1 FROM slack_threads t WHERE t.parent_message_id = m.id)
        """

    /// Removes for good up to `limit` messages soft-deleted before `cutoff` (see ``purgeable``), with their history and
    /// notification jobs (attachment rows of files already purged go with them). Rows another transaction holds are
    /// left for a later run. Run inside a transaction.
    package static func purgeDeleted(_ db: PostgresConnection, before cutoff: Timestamp, limit: Int) throws -> PurgeSummary {
        let ids = try db.query(
            "SELECT m.id FROM messages m WHERE \(purgeable) ORDER BY m.deleted_at LIMIT $2 FOR UPDATE OF m SKIP LOCKED", [cutoff, limit]
        ).map { try $0.decode(0, as: UUID.self) }
        var summary = PurgeSummary()
        guard !ids.isEmpty else { return summary }
        summary.historyEntries = try db.query("DELETE FROM message_history WHERE message_id = ANY($1::uuid[])", [ids]).affectedRows
        summary.notificationJobs = try db.query("DELETE FROM notification_outbox WHERE message_id = ANY($1::uuid[])", [ids]).affectedRows
        summary.messages = try db.query("DELETE FROM messages WHERE id = ANY($1::uuid[])", [ids]).affectedRows
        return summary
    }

    /// How many messages soft-deleted before `cutoff` a purge would remove, and how many it would keep for their
    /// stored files or a Slack thread.
    package static func countDeleted(_ db: PostgresConnection, before cutoff: Timestamp) throws -> PurgeSummary {
        let row = try db.query(
            """
            SELECT count(*) FILTER (WHERE files), count(*) FILTER (WHERE slack AND NOT files), count(*) FILTER (WHERE NOT files AND NOT slack)
            FROM (
                SELECT EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id AND a.state <> 'purged') AS files,
                       EXISTS (SELECT 1 FROM slack_threads t WHERE t.parent_message_id = m.id) AS slack
                FROM messages m WHERE m.deleted_at < $1
            ) d
            """, [cutoff])[0]
        var summary = PurgeSummary()
        summary.keptForFiles = try row.decode(0)
        summary.keptForSlack = try row.decode(1)
        summary.messages = try row.decode(2)
        return summary
    }
}

extension MessageHistoryEntry {
    init(row: PostgresRow) throws(DatabaseError) {
        let actor: User? = try row.decode("a_id", as: UUID?.self) == nil ? nil : try User(row: row, prefix: "a_")
        self.init(
            messageId: try row.decode("message_id"), action: Action(rawValue: try row.decode("action")) ?? .edit,
            changedAt: try row.decode("changed_at"), actorId: try row.decode("actor_id"), actor: actor,
            databaseRole: try row.decode("database_role"), previousContent: try row.decode("previous_content"),
            previousWrittenAt: try row.decode("previous_written_at"))
    }
}
