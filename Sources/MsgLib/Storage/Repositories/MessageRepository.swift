import Foundation

/// Messages. Soft-deleted rows stay in the table but no read here returns them unless asked.
package enum MessageRepository {
    static let columns = "id, conversation_id, sender_id, content, created_at, read_at, edited_at, deleted_at, attachments"

    /// Which messages of a conversation a page shows.
    package struct Page: Sendable {
        package var page: Int
        package var limit: Int
        /// Only messages created strictly before this time.
        package var before: Timestamp?
        /// Only messages created strictly after this time.
        package var after: Timestamp?

        package init(page: Int = 1, limit: Int = 50, before: Timestamp? = nil, after: Timestamp? = nil) {
            self.page = page
            self.limit = limit
            self.before = before
            self.after = after
        }
    }

    /// Which messages a search considers.
    package struct SearchFilter: Sendable {
        package var conversationId: UUID?
        /// Only messages of this user's conversation (a user searching); nil for all (the admin).
        package var ownerUserId: UUID?
        package var before: Timestamp?
        package var after: Timestamp?
        package var limit: Int

        package init(conversationId: UUID? = nil, ownerUserId: UUID? = nil, before: Timestamp? = nil, after: Timestamp? = nil, limit: Int = 20) {
            self.conversationId = conversationId
            self.ownerUserId = ownerUserId
            self.before = before
            self.after = after
            self.limit = limit
        }
    }

    /// Inserts a message; the insert trigger updates the conversation's counters.
    /// - Throws: `.validation` when the content breaks the length check, `.reference` for an unknown conversation.
    package static func insert(_ db: PostgresConnection, conversationId: UUID, senderId: UUID, content: String) throws -> Message {
        try Message(
            row: db.query(
                "INSERT INTO messages (conversation_id, sender_id, content) VALUES ($1, $2, $3) RETURNING \(columns)",
                [conversationId, senderId, content])[0])
    }

    /// Inserts a message into `conversationId` if `sender` may write there (the conversation's user, or an admin),
    /// or, without a conversation id, into the sender's own conversation, with its notification jobs, in one
    /// statement. The conversation row is locked before the id is generated, so within a conversation ids follow
    /// commit order. Returns nil when the conversation is missing or not the sender's.
    ///
    /// Jobs: a push to each subscription of the recipients (the conversation's user for an admin's message, every
    /// admin for a user's), a Slack notice for a user's message when `notifySlack`, and in Slack app mode a Web API
    /// post of every message whose `origin` is not Slack.
    ///
    /// With `limits`, the same statement takes the message from the sender's rate-limit windows (after the conversation
    /// row is locked) and inserts nothing when one is full: nil then as well.
    package static func insert(
        _ db: PostgresConnection, conversationId: UUID?, sender: User, content: String, origin: MessageOrigin = .product,
        notifySlack: Bool = false, limits: [RateLimitRepository.Window] = []
    ) throws -> DeliverableMessage? {
        try insert(
            db, [MessageSend(sender: sender, conversationId: conversationId, content: content, origin: origin)], notifySlack: notifySlack,
            limits: limits)[0]
    }

    /// The database's `now()`: the start of the current transaction.
    static func transactionTime(_ db: PostgresConnection) throws -> Timestamp {
        try db.query("SELECT now()")[0].decode(0, as: Timestamp.self)
    }

    /// The message with `id`, deleted or not.
    /// The messages of `ids` that exist, deleted or not, by id.
    package static func find(_ db: PostgresConnection, ids: [UUID]) throws -> [UUID: Message] {
        let rows = try db.query("SELECT \(columns) FROM messages WHERE id = ANY($1::uuid[])", [ids])
        return Dictionary(try rows.map { try Message(row: $0) }.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    package static func find(_ db: PostgresConnection, id: UUID) throws -> Message? {
        try db.query("SELECT \(columns) FROM messages WHERE id = $1", [id]).first.map { try Message(row: $0) }
    }

    /// Visible messages of a conversation with their senders, in chronological order, and the total matching count.
    ///
    /// Page 1 is the newest `limit` messages, page 2 the ones before them, and so on; when only `after` is
    /// given, page 1 is instead the oldest `limit` messages after that time (catching up from a point).
    package static func list(_ db: PostgresConnection, conversationId: UUID, page: Page) throws -> (messages: [MessageWithSender], total: Int) {
        let conditions = """
            m.conversation_id = $1 AND m.deleted_at IS NULL
            AND ($2::timestamptz IS NULL OR m.created_at < $2)
            AND ($3::timestamptz IS NULL OR m.created_at > $3)
            """
        let parameters: [(any PostgresBindable)?] = [conversationId, page.before, page.after]
        let oldestFirst = page.after != nil && page.before == nil
        let direction = oldestFirst ? "ASC" : "DESC"
        let total = try db.query("SELECT count(*) FROM messages m WHERE \(conditions)", parameters)[0].decode(0, as: Int.self)
        let rows = try db.query(
            """
            SELECT m.id, m.conversation_id, m.sender_id, m.content, m.created_at, m.read_at, m.edited_at, m.deleted_at, m.attachments,
                   \(User.columns("u", prefix: "u_"))
            FROM messages m JOIN users u ON u.id = m.sender_id
            WHERE \(conditions)
            ORDER BY m.created_at \(direction), m.id \(direction)
            LIMIT $4 OFFSET $5
            """, parameters + [page.limit, pageOffset(page: page.page, limit: page.limit)])
        let messages = try rows.map { MessageWithSender(message: try Message(row: $0), sender: try User(row: $0, prefix: "u_")) }
        return (oldestFirst ? messages : messages.reversed(), total)
    }

    /// Sets `read_at` on one unread, visible message; returns it, or nil when it was already read or is gone.
    package static func markRead(_ db: PostgresConnection, id: UUID) throws -> Message? {
        try db.query(
            "UPDATE messages SET read_at = now() WHERE id = $1 AND read_at IS NULL AND deleted_at IS NULL RETURNING \(columns)",
            [id]
        ).first.map { try Message(row: $0) }
    }

    /// The visible messages of a conversation from its oldest one unread by its user (`readByItsUser`) or by the admins
    /// on; 0 when none is unread.
    package static func countSinceOldestUnread(_ db: PostgresConnection, conversationId: UUID, readByItsUser: Bool) throws -> Int {
        try db.query(
            """
            WITH oldest AS (
                SELECT m.created_at, m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.conversation_id = $1 AND m.read_at IS NULL AND m.deleted_at IS NULL AND (m.sender_id = c.user_id) <> $2
                ORDER BY m.created_at, m.id LIMIT 1
            )
            SELECT count(*) FROM messages m, oldest o
            WHERE m.conversation_id = $1 AND m.deleted_at IS NULL AND (m.created_at, m.id) >= (o.created_at, o.id)
            """, [conversationId, readByItsUser]
        )[0].decode(0, as: Int.self)
    }

    /// Marks read the unread, visible messages of a conversation addressed to its user (`readByItsUser`: the admins'
    /// messages) or to the admins (its user's), all of them or only `ids`. Returns the messages it changed.
    package static func markRead(
        _ db: PostgresConnection, conversationId: UUID, readByItsUser: Bool, ids: [UUID]? = nil
    ) throws -> [Message] {
        try db.query(
            """
            UPDATE messages m SET read_at = now()
            FROM conversations c
            WHERE c.id = m.conversation_id AND (m.sender_id = c.user_id) <> $2
              AND m.conversation_id = $1 AND m.read_at IS NULL AND m.deleted_at IS NULL
              AND ($3::uuid[] IS NULL OR m.id = ANY ($3::uuid[]))
            RETURNING m.id, m.conversation_id, m.sender_id, m.content, m.created_at, m.read_at, m.edited_at, m.deleted_at
            """, [conversationId, readByItsUser, ids]
        ).map { try Message(row: $0) }
    }

    /// Replaces the content of a visible message and sets `edited_at`; nil when there is no such message. The text it
    /// replaces goes to the message's history, with `actor` as the editor.
    package static func edit(_ db: PostgresConnection, id: UUID, content: String, by actor: UUID?) throws -> Message? {
        try db.query(
            """
            \(actorPrefix(parameter: 3))
            UPDATE messages SET content = $2, edited_at = now() WHERE id = $1 AND deleted_at IS NULL AND \(actorCondition)
            RETURNING \(columns)
            """, [id, content, actor]
        ).first.map { try Message(row: $0) }
    }

    /// Soft-deletes one message (its history records `actor` as who deleted it); returns it as it was before, or nil
    /// when it was already deleted or absent.
    package static func softDelete(_ db: PostgresConnection, id: UUID, by actor: UUID?) throws -> Message? {
        try db.query(
            """
            \(actorPrefix(parameter: 2))
            UPDATE messages m SET deleted_at = now() FROM messages old
            WHERE m.id = $1 AND old.id = m.id AND m.deleted_at IS NULL AND \(actorCondition)
            RETURNING old.id, old.conversation_id, old.sender_id, old.content, old.created_at, old.read_at,
                      old.edited_at, old.deleted_at
            """, [id, actor]
        ).first.map { try Message(row: $0) }
    }

    /// Soft-deletes every visible message of a conversation (their history records `actor`); returns how many.
    package static func softDeleteAll(_ db: PostgresConnection, conversationId: UUID, by actor: UUID?) throws -> Int {
        try db.query(
            """
            \(actorPrefix(parameter: 2))
            UPDATE messages SET deleted_at = now() WHERE conversation_id = $1 AND deleted_at IS NULL AND \(actorCondition)
            """, [conversationId, actor]
        ).affectedRows
    }

    /// Full-text search (`websearch_to_tsquery`, English) over visible messages, best rank first, ties newest
    /// first, with the number of matches: exact, except over all conversations past ``SearchTotal/bound`` matches,
    /// where the newest that many are ranked (``SearchPath/newestWeeks``).
    ///
    /// The ranking is `ts_rank(to_tsvector('english', content), query)`, computed on the stored copy of that vector
    /// (`search_vector`, migration 12) so no text is parsed again; `ts_headline` runs only for the returned page.
    /// The query text is parsed first on its own, then passed to the search as a `tsquery` value, so even a generic
    /// plan of the prepared statement never parses it once per row. See docs/search.md for the plans.
    package static func search(_ db: PostgresConnection, query: String, filter: SearchFilter) throws -> (hits: [MessageSearchHit], total: SearchTotal)
    {
        guard let (tsquery, path) = try searchPlan(db, query: query, filter: filter) else { return ([], SearchTotal(count: 0)) }
        if path == .tooBroad { throw SearchTooBroad() }
        let (sql, parameters) = searchStatement(tsquery: tsquery, filter: filter, path: path)
        let settings = searchSettings(path)
        let rows =
            settings.isEmpty
            ? try db.query(sql, parameters)
            : try db.transaction {
                try db.setLocal(settings)
                return try db.query(sql, parameters)
            }
        var total = 0
        var hits: [MessageSearchHit] = []
        for row in rows {
            total = try row.decode("total", as: Int.self)
            guard try row.decode("id", as: UUID?.self) != nil else { continue }
            hits.append(
                MessageSearchHit(
                    message: try Message(row: row), rank: try row.decode("rank"), user: try User(row: row, prefix: "u_"),
                    snippet: Snippet(headline: try row.decode("snippet"))))
        }
        return (
            hits,
            path == .newestWeeks && total > SearchTotal.bound ? SearchTotal(count: SearchTotal.bound, isExact: false) : SearchTotal(count: total)
        )
    }

    /// The search statement for a parsed query (`$1`, a `tsquery` in text form) and the filter's conditions; only the
    /// conditions in use are written, so each combination is a statement of its own with a plan of its own.
    ///
    /// `matches` visits each match once (one heap fetch per match) and keeps only id, time and rank; both the count and
    /// the page's top-N sort read it. How it finds them depends on `path`:
    /// - ``SearchPath/newestWeeks``: week by week, newest first, the week's entries of `idx_messages_search_terms`
    ///   (`search_terms_query`), until ``SearchTotal/bound`` + 1 matches; the time window bounds the weeks and is checked
    ///   on the rows, outside the index scan (`OFFSET 0`), so that the planner cannot AND a wide window's entries of
    ///   `idx_messages_created_at` into every week's scan.
    /// - ``SearchPath/fullTextIndex``: the plain entries of `idx_messages_search_terms`, every match.
    /// - ``SearchPath/everyMessage``: every visible message of the scope tested.
    /// - ``SearchPath/scope``: the scope's messages read through their own index and each stored vector tested; the
    ///   full-text condition stays out of that scan (`OFFSET 0`), where the planner would otherwise intersect it with
    ///   the full-text index's entries, however many.
    ///
    /// The index answers for the words every match must have (`search_terms_query`); each path then tests the stored
    /// vector with the query itself (phrases, exclusions).
    /// Public so that benchmarks can show its plans (`msgbench search explain`).
    package static func searchStatement(
        tsquery: String, filter: SearchFilter, path: SearchPath = .fullTextIndex
    ) -> (sql: String, parameters: [(any PostgresBindable)?]) {
        var parameters: [(any PostgresBindable)?] = [tsquery]
        func bind(_ value: any PostgresBindable) -> String {
            parameters.append(value)
            return "$\(parameters.count)"
        }
        let match = "m.search_vector @@ $1::tsquery"
        let indexed = "search_terms(m.search_vector, m.created_at) @@ search_terms_query($1::tsquery, NULL)"
        let visible = "m.deleted_at IS NULL"
        let (scope, window) = filter.conditions(bind)
        let source: String
        switch path {
        case .newestWeeks:
            let newest =
                filter.before.map { "LEAST(\(bind($0)), (SELECT max(created_at) FROM messages))" } ?? "(SELECT max(created_at) FROM messages)"
            let oldest =
                filter.after.map { "GREATEST(\(bind($0)), (SELECT min(created_at) FROM messages))" } ?? "(SELECT min(created_at) FROM messages)"
            source = """
                generate_series(search_week(\(newest)), search_week(\(oldest)), -1) AS w(week)
                CROSS JOIN LATERAL (
                    SELECT m.id, m.created_at, m.search_vector FROM messages m
                    WHERE search_terms(m.search_vector, m.created_at) @@ search_terms_query($1::tsquery, w.week) AND \(visible)
                    OFFSET 0) m
                WHERE \(([match] + scope + window).joined(separator: " AND "))
                LIMIT \(SearchTotal.bound + 1)
                """
        case .scope where !scope.isEmpty:
            source = """
                (SELECT m.id, m.created_at, m.search_vector FROM messages m
                 WHERE \(([visible] + scope + window).joined(separator: " AND ")) OFFSET 0) m
                WHERE \(match)
                """
        case .everyMessage:
            source = "messages m\nWHERE \(([match, visible] + scope + window).joined(separator: "\n      AND "))"
        case .fullTextIndex, .scope, .tooBroad:
            // Over all conversations, the time is checked on the rows the index names: left to itself the planner may
            // walk the window in `idx_messages_created_at` (the statistics' index) and test every message in it.
            // Within one conversation its index already orders by time, and the window narrows that scan.
            if scope.isEmpty, !window.isEmpty {
                source = """
                    (SELECT m.id, m.created_at, m.search_vector FROM messages m
                     WHERE \(indexed) AND \(visible) OFFSET 0) m
                    WHERE \(([match] + window).joined(separator: " AND "))
                    """
            } else {
                source = "messages m\nWHERE \(([indexed, match, visible] + scope + window).joined(separator: "\n      AND "))"
            }
        }
        let limit = bind(max(0, filter.limit))
        let sql = """
            WITH matches AS MATERIALIZED (
                SELECT m.id, m.created_at, ts_rank(m.search_vector, $1::tsquery) AS rank
                FROM \(source)
            ),
            page AS (
                SELECT id, rank FROM \(path == .newestWeeks ? "(SELECT * FROM matches LIMIT \(SearchTotal.bound)) b" : "matches")
                ORDER BY rank DESC, created_at DESC, id DESC LIMIT \(limit)
            )
            SELECT n.total, h.*
            FROM (SELECT count(*) AS total FROM matches) n
            LEFT JOIN LATERAL (
                SELECT m.id, m.conversation_id, m.sender_id, m.content, m.created_at, m.read_at, m.edited_at, m.deleted_at, m.attachments,
                       p.rank, \(User.columns("u", prefix: "u_")),
                       ts_headline('english',
                                   translate(translate(m.content, E'\\x01\\x02\\uE000\\uE001\\uE002', ''), '<>&', E'\\uE000\\uE001\\uE002'),
                                   $1::tsquery,
                                   'StartSel=' || E'\\x01' || ', StopSel=' || E'\\x02' || ', MaxFragments=2, MaxWords=24, MinWords=8')
                           AS snippet
                FROM page p
                JOIN messages m ON m.id = p.id
                JOIN conversations c ON c.id = m.conversation_id
                JOIN users u ON u.id = c.user_id
            ) h ON true
            ORDER BY h.rank DESC, h.created_at DESC, h.id DESC
            """
        return (sql, parameters)
    }
}
