import Foundation
import MsgLib

/// Which messages an export holds, and the `COPY` statement that streams them.
///
/// Rows come ordered by conversation id, then `created_at`, then id: each conversation's transcript in order,
/// conversations in id order (the order of their creation). COPY takes no parameters, so every value is passed
/// as a transaction-local setting (`set_config(name, value, true)` with ordinary statement parameters) that the
/// statement reads back with `current_setting(name)`: nothing from the command line is spliced into SQL.
package struct ExportQuery: Sendable, Equatable {
    /// Only this conversation.
    package var conversationId: UUID?
    /// Only messages sent by this user.
    package var senderId: UUID?
    /// Only messages created at or after this time.
    package var since: Timestamp?
    /// Only messages created before this time.
    package var until: Timestamp?
    /// Soft-deleted messages too (with their `deleted_at`).
    package var includeDeleted: Bool
    /// Each message's edit and delete history (``ExportHistory``) in the last column; NULL there without it.
    package var includeHistory = false
    /// Only ids at or above this one (the incremental cursor's previous horizon).
    var idFrom: UUID?
    /// Only ids below this one (the incremental cursor's new horizon).
    var idBelow: UUID?

    package init(conversationId: UUID? = nil, senderId: UUID? = nil, since: Timestamp? = nil, until: Timestamp? = nil, includeDeleted: Bool = false) {
        self.conversationId = conversationId
        self.senderId = senderId
        self.since = since
        self.until = until
        self.includeDeleted = includeDeleted
    }

    /// The columns the statement returns, in order (``BinaryCopyParser`` reads them so), but the last: the history
    /// (``historyColumn``).
    static let columns = [
        "m.id", "m.conversation_id", "m.sender_id", "m.content", "m.created_at", "m.read_at", "m.edited_at", "m.deleted_at",
        "s.username", "s.display_name", "s.is_admin", "c.user_id", "cu.username", "cu.display_name", "m.attachments::text",
    ]

    /// How many columns the statement returns.
    static let columnCount = columns.count + 1

    /// The last column: ``ExportHistory/column`` with `includeHistory`, otherwise NULL.
    var historyColumn: String { includeHistory ? ExportHistory.column : "NULL::text" }

    /// The rows as a `SELECT`, filters read from the settings (also what the benchmark hands psql's `\copy` as the
    /// reference, unfiltered).
    package var selectStatement: String {
        var conditions: [String] = []
        if !includeDeleted { conditions.append("m.deleted_at IS NULL") }
        for (column, operation, setting, type) in filters {
            conditions.append("\(column) \(operation) current_setting('\(setting)')::\(type)")
        }
        return """
            SELECT \((Self.columns + [historyColumn]).joined(separator: ", "))
            FROM messages m
            JOIN users s ON s.id = m.sender_id
            JOIN conversations c ON c.id = m.conversation_id
            JOIN users cu ON cu.id = c.user_id
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY m.conversation_id, m.created_at, m.id
            """
    }

    /// The statement to pass to ``PostgresConnection/copyOut(_:chunkSize:_:)``, after ``setSettings(_:)``.
    var copyStatement: String {
        "COPY (\(selectStatement)) TO STDOUT (FORMAT binary)"
    }

    /// The planner's estimate of how many rows ``selectStatement`` returns (`EXPLAIN`, which does not run it), for
    /// a progress line; nil when the plan cannot be read. Call after ``setSettings(_:)``, in the same transaction.
    func estimatedRows(_ db: PostgresConnection) throws -> Int? {
        let plan = try db.query("EXPLAIN (FORMAT JSON) \(selectStatement)")[0].decode(0, as: String.self)
        let top = (try? JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [[String: Any]])?.first?["Plan"] as? [String: Any]
        return (top?["Plan Rows"] as? NSNumber)?.intValue
    }

    /// Sets the values the statement reads, for the current transaction only.
    func setSettings(_ db: PostgresConnection) throws {
        try db.setLocal(settingValues)
    }

    /// (column, operator, setting, type) of each filter in use.
    private var filters: [(String, String, String, String)] {
        var out: [(String, String, String, String)] = []
        if conversationId != nil { out.append(("m.conversation_id", "=", "msglib.export_conversation_id", "uuid")) }
        if senderId != nil { out.append(("m.sender_id", "=", "msglib.export_sender_id", "uuid")) }
        if since != nil { out.append(("m.created_at", ">=", "msglib.export_since", "timestamptz")) }
        if until != nil { out.append(("m.created_at", "<", "msglib.export_until", "timestamptz")) }
        if idFrom != nil { out.append(("m.id", ">=", "msglib.export_id_from", "uuid")) }
        if idBelow != nil { out.append(("m.id", "<", "msglib.export_id_below", "uuid")) }
        return out
    }

    private var settingValues: [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        if let conversationId { out.append(("msglib.export_conversation_id", conversationId.lowercasedString)) }
        if let senderId { out.append(("msglib.export_sender_id", senderId.lowercasedString)) }
        if let since { out.append(("msglib.export_since", since.rfc3339)) }
        if let until { out.append(("msglib.export_until", until.rfc3339)) }
        if let idFrom { out.append(("msglib.export_id_from", idFrom.lowercasedString)) }
        if let idBelow { out.append(("msglib.export_id_below", idBelow.lowercasedString)) }
        return out
    }
}
