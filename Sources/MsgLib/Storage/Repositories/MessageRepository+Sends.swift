import Foundation
import Synchronization

/// One message to send: who sends it, what, where (nil: the sender's own conversation), and where it came from.
package struct MessageSend: Sendable, Equatable {
    package var sender: User
    package var conversationId: UUID?
    package var content: String
    /// A message that came from Slack is never posted back to Slack.
    package var origin: MessageOrigin
    /// Files already checked and locked for this message (``AttachmentRepository/lockForSend(_:ids:owner:)``); they
    /// are written with it (`messages.attachments`).
    package var attachments: [MessageAttachment]
    /// The key the client sent it with (``ClientKey``): a second send with the same key by the same sender inserts
    /// nothing.
    package var clientKey: String?
    /// The surface it came in on (`messages.source`).
    package var source: MessageSource?

    package init(
        sender: User, conversationId: UUID?, content: String, origin: MessageOrigin = .product, attachments: [MessageAttachment] = [],
        clientKey: String? = nil, source: MessageSource? = nil
    ) {
        self.sender = sender
        self.conversationId = conversationId
        self.content = content
        self.origin = origin
        self.attachments = attachments
        self.clientKey = clientKey
        self.source = source
    }
}

extension MessageRepository {
    /// Inserts several messages of different senders in one statement (one round trip, one commit when run on its
    /// own), each only where its sender may write: into the conversation named (the conversation's user, or any for an
    /// admin) or, without one, into the sender's own conversation. Each with its notification jobs, as the single
    /// ``insert(_:conversationId:sender:content:notifySlack:limits:)`` describes.
    ///
    /// Slack app mode is read from the `slack_settings` row by the statement itself (one read of a one-row table per
    /// statement, not per message), so every writer queues the same `slack_post` jobs whatever its own environment:
    /// one per message, except for messages that came from Slack.
    ///
    /// The conversation rows are locked (in id order, one index lookup each: the plan is the same for every batch)
    /// before any id is generated, so within a conversation ids follow commit order. With `skipLocked`, a conversation
    /// another transaction holds is skipped (nil), never waited for: one slow writer does not hold up everyone else's
    /// messages (the caller sends that one on its own). With `limits`, each user's message is taken from their
    /// rate-limit windows after their conversation is locked (admins count nothing); a full window inserts nothing for
    /// that sender.
    ///
    /// - Precondition: no two sends share a sender (a sender's rate-limit row is changed at most once per statement,
    ///   and the rows returned are matched to the sends by sender).
    /// - Returns: for each send, in order, its message, or nil when its conversation is missing, not the sender's, or
    ///   held by another transaction, or a window is full (the caller finds out which, or sends it on its own).
    package static func insert(
        _ db: PostgresConnection, _ sends: [MessageSend], notifySlack: Bool = false, limits: [RateLimitRepository.Window] = [],
        skipLocked: Bool = false
    ) throws -> [DeliverableMessage?] {
        guard !sends.isEmpty else { return [] }
        let statement = insertStatement(sends, notifySlack: notifySlack, limits: limits, skipLocked: skipLocked)
        return try inserted(db.query(statement.sql, statement.parameters), for: sends)
    }

    /// The statement of ``insert(_:_:notifySlack:limits:skipLocked:)``, to send without waiting
    /// (``PostgresConnection/send(_:_:)``); ``inserted(_:for:)`` reads its rows.
    /// - Precondition: `sends` is not empty, and no two share a sender.
    package static func insertStatement(
        _ sends: [MessageSend], notifySlack: Bool = false, limits: [RateLimitRepository.Window] = [], skipLocked: Bool = false
    ) -> (sql: String, parameters: [(any PostgresBindable)?]) {
        let shape = SendStatementShape(
            files: sends.contains { !$0.attachments.isEmpty }, keyed: sends.contains { $0.clientKey != nil },
            windows: limits.map(\.column), skipLocked: skipLocked)
        var parameters: [(any PostgresBindable)?] = [
            sends.map(\.sender.id), sends.map(\.content), sends.map(\.sender.isAdmin),
            sends.map { $0.conversationId?.lowercasedString ?? "" }, notifySlack, sends.map { $0.origin != .slack },
            sends.map { $0.source?.rawValue ?? "" },
        ]
        if shape.files { parameters.append(sends.map { MessageAttachment.json($0.attachments) ?? "" }) }
        if shape.keyed { parameters.append(sends.map { $0.clientKey ?? "" }) }
        parameters += RateLimitRepository.parameters(limits)
        return (sendStatements.sql(for: shape, limits: limits), parameters)
    }

    /// The SQL of each shape of send statement made so far (a handful: the SQL is the same for every batch of a shape).
    private static let sendStatements = SendStatements()

    /// What a send statement's SQL depends on.
    struct SendStatementShape: Hashable {
        /// Some sends carry attachments, or client keys: a parameter (and a column) more each.
        var files: Bool
        var keyed: Bool
        /// The rate-limit windows' columns.
        var windows: [String]
        var skipLocked: Bool
    }

    /// The SQL of send statements by shape.
    final class SendStatements: Sendable {
        private let known = Mutex<[SendStatementShape: String]>([:])

        func sql(for shape: SendStatementShape, limits: [RateLimitRepository.Window]) -> String {
            if let sql = known.withLock({ $0[shape] }) { return sql }
            let sql = MessageRepository.sendSQL(shape, limits: limits)
            known.withLock { $0[shape] = sql }
            return sql
        }
    }

    /// The SQL of a send statement of `shape`; its parameters are those ``insertStatement(_:notifySlack:limits:skipLocked:)``
    /// makes, in that order.
    static func sendSQL(_ shape: SendStatementShape, limits: [RateLimitRepository.Window]) -> String {
        var count = 7
        // Sends with attachments or client keys get statements of their own (a column more each): the usual one stays
        // as it was.
        var extra = (unnest: "", name: "", select: "", column: "", value: "")
        func column(name: String, column: String, value: String) {
            count += 1
            extra.unnest += ", $\(count)::text[]"
            extra.name += ", \(name)"
            extra.select += ", r.\(name)"
            extra.column += ", \(column)"
            extra.value += ", \(value)"
        }
        if shape.files { column(name: "files", column: "attachments", value: "nullif(c.files, '')::jsonb") }
        // A keyed send whose key its sender used already inserts nothing (nil: the caller finds the first message), and
        // takes nothing from the rate limits; two at once meet on the unique index, and the later one inserts nothing.
        var keyed = (known: "", conflict: "")
        if shape.keyed {
            column(name: "key", column: "client_key", value: "nullif(c.key, '')")
            keyed = (
                "WHERE r.key = '' OR NOT EXISTS (SELECT 1 FROM messages x WHERE x.sender_id = r.sender AND x.client_key = r.key)",
                "ON CONFLICT (sender_id, client_key) WHERE client_key IS NOT NULL DO NOTHING"
            )
        }
        var limited = ""
        var allowed = "TRUE"
        if !limits.isEmpty {
            let take = RateLimitRepository.take(limits, sender: "c.sender", source: "FROM c WHERE NOT c.admin", first: count + 1)
            limited = "lim AS (\(take.sql)),"
            allowed = "(c.admin OR c.sender IN (SELECT sender_id FROM lim))"
        }
        let skipLocked = shape.skipLocked
        let sql = """
            WITH r AS (
                SELECT r.sender, r.content, r.admin, r.mirror, r.source\(extra.select),
                       coalesce(nullif(r.named, '')::uuid, (SELECT id FROM conversations WHERE user_id = r.sender)) AS conversation
                FROM unnest($1::uuid[], $2::text[], $3::bool[], $4::text[], $6::bool[], $7::text[]\(extra.unnest))
                    AS r(sender, content, admin, named, mirror, source\(extra.name))
                \(keyed.known)
                ORDER BY conversation
            ),
            c AS (
                SELECT r.sender, r.content, r.admin, r.mirror, r.source\(extra.select), v.id, v.user_id, v.last_txid, v.changed_by
                FROM r CROSS JOIN LATERAL (
                    SELECT id, user_id, last_message_txid::text::int8 AS last_txid, xmin::text::int8 AS changed_by FROM conversations
                    WHERE id = r.conversation AND (r.admin OR user_id = r.sender)
                    FOR UPDATE\(skipLocked ? " SKIP LOCKED" : "")
                ) v
            ), \(limited)
            m AS (
                INSERT INTO messages (conversation_id, sender_id, content, source\(extra.column))
                SELECT c.id, c.sender, c.content, nullif(c.source, '')\(extra.value) FROM c WHERE \(allowed) ORDER BY c.id
                \(keyed.conflict)
                RETURNING \(columns), txid
            ),
            jobs AS (
                INSERT INTO notification_outbox (kind, message_id, subscription_id, conversation_id)
                SELECT 'push', m.id, p.id, NULL::uuid FROM m JOIN c ON c.sender = m.sender_id
                CROSS JOIN LATERAL (SELECT id FROM push_subscriptions WHERE user_id = c.user_id OFFSET 0) p
                WHERE c.sender <> c.user_id
                UNION ALL
                SELECT 'push', m.id, p.id, NULL FROM m JOIN c ON c.sender = m.sender_id
                JOIN push_subscriptions p ON p.user_id IN (SELECT id FROM users WHERE is_admin)
                WHERE c.sender = c.user_id AND p.user_id <> c.sender
                UNION ALL
                SELECT 'slack', m.id, NULL, NULL FROM m JOIN c ON c.sender = m.sender_id WHERE $5 AND c.sender = c.user_id
                UNION ALL
                SELECT 'slack_post', m.id, NULL, c.id FROM m JOIN c ON c.sender = m.sender_id
                WHERE c.mirror AND (SELECT app_mode FROM slack_settings)
            )
            SELECT \(columns.split(separator: ", ").map { "m.\($0)" }.joined(separator: ", ")), m.txid::text::int8 AS txid, c.last_txid, c.changed_by,
                   c.user_id AS conversation_user_id FROM m JOIN c ON c.sender = m.sender_id
            """
        return sql
    }

    /// For each of `sends`, in order, its message in `rows` (what the statement of ``insertStatement(_:notifySlack:limits:skipLocked:)``
    /// returned), or nil.
    package static func inserted(_ rows: PostgresRows, for sends: [MessageSend]) throws -> [DeliverableMessage?] {
        let senders = Dictionary(sends.map { ($0.sender.id, $0.sender) }, uniquingKeysWith: { first, _ in first })
        var inserted: [UUID: DeliverableMessage] = [:]
        for row in rows {
            let message = try Message(row: row)
            let txid = UInt64(try row.decode("txid", as: Int64.self))
            guard let sender = senders[message.senderId] else { continue }
            inserted[message.senderId] = DeliverableMessage(
                message: message, sender: sender, conversationUserId: try row.decode("conversation_user_id"),
                txid: txid,
                after: previousTransaction(
                    last: try row.decode("last_txid", as: Int64?.self), changedBy: try row.decode("changed_by"), inserter: txid))
        }
        return sends.map { inserted[$0.sender.id] }
    }

    /// The transaction that inserted the conversation's newest message before `inserter` locked its row
    /// (`last_message_txid`); nil when that is `inserter` itself. A conversation with no message since that column was
    /// added falls back on the row's last change (`xmin`: 32 bits, which wrap; the last transaction before `inserter`
    /// whose id ends so), which is the same unless a savepoint made it.
    static func previousTransaction(last: Int64?, changedBy xmin: Int64, inserter: UInt64) -> UInt64? {
        if let last { return UInt64(last) == inserter ? nil : UInt64(last) }
        let distance = UInt32(truncatingIfNeeded: inserter) &- UInt32(truncatingIfNeeded: xmin)
        return distance == 0 ? nil : inserter &- UInt64(distance)
    }
}

extension MessageRepository {
    /// The text message `id` was sent with, before its first edit (`message_history`); nil when it was never edited.
    package static func originalContent(_ db: PostgresConnection, id: UUID) throws -> String? {
        try db.query(
            "SELECT previous_content FROM message_history WHERE message_id = $1 AND action = 'edit' ORDER BY id LIMIT 1", [id]
        ).first?.decode(0)
    }

    /// The message `senderId` sent with `clientKey`, deleted or not.
    package static func find(_ db: PostgresConnection, senderId: UUID, clientKey: String) throws -> Message? {
        try db.query("SELECT \(columns) FROM messages WHERE sender_id = $1 AND client_key = $2", [senderId, clientKey]).first
            .map { try Message(row: $0) }
    }
}
