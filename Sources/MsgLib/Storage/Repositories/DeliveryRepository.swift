import Foundation

/// Reads for real-time delivery: rows named by notifications, replays on connect and resume, catch-up.
package enum DeliveryRepository {
    static let select = selectColumns("")

    /// The columns ``rows(_:)`` reads, `extra` ones after them, from messages `m`, conversations `c`, users `u`.
    static func selectColumns(_ extra: String) -> String {
        """
        SELECT m.id, m.conversation_id, m.sender_id, m.content, m.created_at, m.read_at, m.edited_at, m.deleted_at, m.attachments,
               c.user_id AS conversation_user_id, \(User.columns("u", prefix: "u_"))\(extra)
        FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN users u ON u.id = m.sender_id
        """
    }

    static func rows(_ rows: PostgresRows) throws -> [DeliverableMessage] {
        let hasTxid = rows.columnIndex("txid") != nil
        let hasSource = rows.columnIndex("source") != nil
        return try rows.map { row in
            DeliverableMessage(
                message: try Message(row: row), sender: try User(row: row, prefix: "u_"), conversationUserId: try row.decode("conversation_user_id"),
                txid: hasTxid ? try row.decode("txid", as: Int64?.self).map { UInt64($0) } : nil,
                source: hasSource ? try row.decode("source", as: String?.self).flatMap(MessageSource.init(rawValue:)) : nil)
        }
    }

    /// The inserting transaction, as column `txid` (``rows(_:)`` reads it when present).
    static let txidColumn = ", m.txid::text::int8 AS txid"

    /// `select` with the inserting transaction.
    static let selectWithTxid = selectColumns(txidColumn)

    /// Builds the conditions of a query on snapshots, numbering its parameters.
    struct Conditions {
        var parameters: [(any PostgresBindable)?] = []

        mutating func bind(_ value: (any PostgresBindable)?) -> String {
            parameters.append(value)
            return "$\(parameters.count)"
        }

        /// True when the message `m` is not in `snapshot`: started after it, running then, or newer than its clock
        /// (``CommitSnapshot``). Three index ranges; each has two bounds so that a generic plan (prepared statements)
        /// estimates it as narrow and scans the index.
        /// `txid` and `id` name the columns of another table that records its changes the same way; `top`, an SQL
        /// expression, bounds the ids of the third range (all of them by default).
        mutating func notIn(_ snapshot: CommitSnapshot, txid: String = "m.txid", id: String = "m.id", top: String? = nil) -> String {
            let xmax = bind(Int64(clamping: snapshot.xmax))
            let beyond = bind(Int64.max)
            let xip = bind(snapshot.xip.map { Int64(clamping: $0) })
            let xmin = bind(Int64(clamping: snapshot.xmin))
            let bound = bind(snapshot.idBound)
            let top = top ?? bind(UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))) + "::uuid"
            return
                "((\(txid) >= \(xmax)::xid8 AND \(txid) <= \(beyond)::xid8) OR (\(txid) = ANY(\(xip)::xid8[]) AND \(txid) >= \(xmin)::xid8 AND \(txid) < \(xmax)::xid8)"
                + " OR (\(txid) IS NOT NULL AND \(id) > \(bound)::uuid AND \(id) <= \(top)))"
        }

        /// True when the message `m` is in `snapshot`.
        mutating func isIn(_ snapshot: CommitSnapshot, txid: String = "m.txid", id: String = "m.id") -> String {
            let text = bind(snapshot.postgresText)
            let bound = bind(snapshot.idBound)
            return "(\(txid) IS NULL OR (pg_visible_in_snapshot(\(txid), \(text)::pg_snapshot) AND \(id) <= \(bound)::uuid))"
        }
    }

    /// The snapshot the statement runs in, with the server's clock, as columns `snap` and `taken_ms`.
    static let snapshotColumns = "pg_current_snapshot()::text AS snap, (extract(epoch FROM clock_timestamp()) * 1000)::int8 AS taken_ms"

    static func snapshot(_ row: PostgresRow) throws -> CommitSnapshot {
        let text: String = try row.decode("snap")
        guard let snapshot = CommitSnapshot(postgres: text, takenAtMillis: try row.decode("taken_ms")) else {
            throw DatabaseError(.query, message: "unreadable snapshot \(text)")
        }
        return snapshot
    }

    /// The current snapshot: where a relay starts following commits.
    package static func currentSnapshot(_ db: PostgresConnection) throws -> CommitSnapshot {
        try snapshot(db.query("SELECT " + snapshotColumns)[0])
    }

    /// The largest id whose clock is at most a day ahead of the statement's (`now()`): what a relay's sweep reads.
    static let dayAheadBound = "(lpad(to_hex((extract(epoch FROM now()) * 1000)::int8 + 86400000), 12, '0') || 'ffffffffffffffffffff')::uuid"

    /// A snapshot taken now and the visible messages it shows that `frontier` does not (committed since), in id
    /// order, with their sources: the next batch a relay delivers. Read in one statement, so the rows are exactly that
    /// difference.
    ///
    /// The snapshot's clock is at least the frontier's: a frontier never shows less than the one before (its clock
    /// may be ahead of the server's after the relay's own commits, see ``CommitSnapshot/adding(committed:newestMillis:maxInProgress:)``).
    /// A message whose id is ahead of that clock (the server's clock went back since the id was made, or the id was
    /// given by hand) is not in the batch: it would count as undelivered in every later snapshot and go out again
    /// with each. It waits until a snapshot's clock passes it, then goes out once; ids more than a day ahead are not
    /// read at all. `waiting` is the clock of the oldest such message: a frontier moved on without a snapshot must
    /// stay behind it (see ``CommitSnapshot/clockMargin``), or it would count that message as delivered.
    ///
    /// At most `limit` messages are read: when more were committed, `messages` is nil (none is read into memory).
    package static func committed(_ db: PostgresConnection, since frontier: CommitSnapshot, limit: Int) throws -> (
        snapshot: CommitSnapshot, messages: [DeliverableMessage]?, waiting: Int64?
    ) {
        var conditions = Conditions()
        let notIn = conditions.notIn(frontier, top: dayAheadBound)
        let count = conditions.bind(limit + 1)
        let result = try db.query(
            """
            WITH s AS MATERIALIZED (SELECT \(snapshotColumns))
            SELECT s.snap, s.taken_ms, r.* FROM s LEFT JOIN LATERAL (
                \(selectColumns(txidColumn + ", m.source")) WHERE \(notIn) AND m.deleted_at IS NULL LIMIT \(count)
            ) r ON true
            ORDER BY r.id
            """, conditions.parameters)
        guard let first = result.first else { throw DatabaseError(.query, message: "no snapshot row") }
        let snapshot = try snapshot(first).withClock(atLeast: frontier.takenAtMillis)
        if result.count > limit { return (snapshot, nil, nil) }
        let messages = try first.decode("id", as: UUID?.self) == nil ? [] : try rows(result)
        // Every row is visible in the statement's snapshot: only their ids' clock can keep them out.
        let (shown, waiting) = snapshot.splitByClock(messages) { $0.message.id.v7Millis }
        return (snapshot, shown, waiting)
    }

    /// What a client at `cursor` lacks, up to the snapshot `upTo`, in the conversations `viewer` sees: first the
    /// rest of the cursor's batch (in `cursor.end`, not in `cursor.base`, id after `cursor.lastId`), then the
    /// messages in `upTo` but not in `cursor.end`; each part in id order; at most `limit`.
    package static func messages(
        _ db: PostgresConnection, after cursor: ResumeCursor, upTo: CommitSnapshot, viewer: User, limit: Int
    ) throws -> [DeliverableMessage] {
        var conditions = Conditions()
        let viewerId = conditions.bind(viewer.id)
        let scope =
            viewer.isAdmin ? "\(viewerId)::uuid IS NOT NULL" : "m.conversation_id = (SELECT id FROM conversations WHERE user_id = \(viewerId)::uuid)"
        let lastId = conditions.bind(cursor.lastId)
        let restOfBatch =
            "\(conditions.notIn(cursor.base)) AND \(conditions.isIn(cursor.end)) AND (\(lastId)::uuid IS NULL OR m.id > \(lastId)::uuid)"
        let since = "\(conditions.notIn(cursor.end)) AND \(conditions.isIn(upTo))"
        let count = conditions.bind(limit)
        return try rows(
            db.query(
                """
                SELECT * FROM (
                    \(selectColumns(txidColumn + ", 1 AS phase")) WHERE \(scope) AND m.deleted_at IS NULL AND \(restOfBatch)
                    UNION ALL
                    \(selectColumns(txidColumn + ", 2 AS phase")) WHERE \(scope) AND m.deleted_at IS NULL AND \(since)
                ) x ORDER BY phase, id LIMIT \(count)
                """, conditions.parameters))
    }

    /// What marking messages read needs to know of each visible one among `ids`: where it is, who sent it, and when it
    /// was read if it was.
    package struct ReadTarget: Sendable {
        package var id: UUID
        package var conversationId: UUID
        package var senderId: UUID
        package var readAt: Timestamp?
    }

    /// The ``ReadTarget`` of each visible message among `ids` (no content is read).
    package static func readTargets(_ db: PostgresConnection, ids: [UUID]) throws -> [ReadTarget] {
        try db.query(
            """
            SELECT m.id, m.conversation_id, m.sender_id, m.read_at FROM messages m WHERE m.id = ANY($1::uuid[]) AND m.deleted_at IS NULL
            """, [ids]
        ).map { row in
            ReadTarget(id: try row.decode(0), conversationId: try row.decode(1), senderId: try row.decode(2), readAt: try row.decode(3))
        }
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

    /// Unread messages addressed to `viewer` (an admin: those of the conversations' users; a user: everyone else's in
    /// their conversation), oldest first, at most `limit`; only those in
    /// the snapshot `upTo` when given (later ones reach the socket live).
    ///
    /// A user whose conversation counts no unread message from the admins (`unread_count_user`, kept by the insert and
    /// read triggers) is answered without reading the messages: their own unread messages, however many, are not
    /// looked at one by one.
    package static func unread(
        _ db: PostgresConnection, viewer: User, limit: Int, upTo: CommitSnapshot? = nil, after: UUID? = nil
    ) throws -> [DeliverableMessage] {
        if !viewer.isAdmin {
            let unread = try db.query("SELECT unread_count_user FROM conversations WHERE user_id = $1", [viewer.id]).first
            guard let unread, try unread.decode(0, as: Int.self) > 0 else { return [] }
        }
        var conditions = Conditions()
        let viewerId = conditions.bind(viewer.id)
        let count = conditions.bind(limit)
        var visible = upTo.map { " AND " + conditions.isIn($0) } ?? ""
        if let after { visible += " AND m.id > \(conditions.bind(after))::uuid" }
        // Addressed to the viewer as ``Conversation/isAddressed(from:to:)`` tells.
        let scope =
            viewer.isAdmin
            ? "(m.sender_id = c.user_id) <> (c.user_id = \(viewerId)::uuid)"
            : "m.conversation_id = (SELECT id FROM conversations WHERE user_id = \(viewerId)::uuid) AND m.sender_id <> \(viewerId)::uuid"
        return try rows(
            db.query(
                selectWithTxid + " WHERE \(scope) AND m.read_at IS NULL AND m.deleted_at IS NULL\(visible) ORDER BY m.id LIMIT \(count)",
                conditions.parameters))
    }

    /// Messages read since `time`, in the order they were read (for a listener catching up after a lost connection),
    /// found through `idx_messages_read_at` (migration 33).
    package static func reads(_ db: PostgresConnection, since time: Timestamp) throws -> [DeliverableMessage] {
        try rows(db.query(readsSQL, [time]))
    }

    /// The ids and read times of the newest `limit` messages read since `time` in the conversations `viewer` sees (for a
    /// socket resuming: receipts it may have missed while it was gone), in the order they were read. Only what a
    /// receipt says is read, not the messages.
    package static func reads(
        _ db: PostgresConnection, since time: Timestamp, viewer: User, limit: Int
    ) throws -> [(messageId: UUID, readAt: Timestamp)] {
        let scope = viewer.isAdmin ? "" : " AND m.conversation_id = (SELECT id FROM conversations WHERE user_id = $3)"
        let parameters: [(any PostgresBindable)?] = viewer.isAdmin ? [time, limit] : [time, limit, viewer.id]
        let newest = try db.query(
            "SELECT m.id, m.read_at FROM messages m WHERE m.read_at >= $1 AND m.deleted_at IS NULL\(scope) ORDER BY m.read_at DESC, m.id DESC LIMIT $2",
            parameters
        ).map { (messageId: try $0.decode(0, as: UUID.self), readAt: try $0.decode(1, as: Timestamp.self)) }
        return newest.reversed()
    }

    /// The statement of ``reads(_:since:)``.
    package static let readsSQL = select + " WHERE m.read_at >= $1 AND m.deleted_at IS NULL ORDER BY m.read_at, m.id"

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

    /// Makes this session the one that counts other writers' messages (``MessagingService/claimCounting(on:)``) unless
    /// another holds that right: a session advisory lock, given up when the session ends.
    /// - Returns: true when this session holds it now.
    package static func claimCounting(_ db: PostgresConnection) throws -> Bool {
        try db.query("SELECT pg_try_advisory_lock($1) AS held", [countingLock])[0].decode("held")
    }

    /// The advisory lock of ``claimCounting(_:)`` (the bytes of "msgrelay").
    static let countingLock: Int64 = 0x6d73_6772_656c_6179

    /// Announces a committed message on the real-time channel in a transaction of its own, which need not wait for the
    /// disk (the announcement only wakes the relays' sweeps; a lost one is made up by the next periodic sweep).
    /// - Returns: the id of the transaction that announced (it inserts nothing).
    @discardableResult
    package static func announce(_ db: PostgresConnection, _ item: DeliverableMessage, origin: UUID? = nil) throws -> UInt64 {
        let event = RealtimeEvent.message(id: item.message.id, conversationId: item.message.conversationId, origin: origin)
        let rows = try db.query(
            "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2), pg_current_xact_id()::text::int8 AS txid",
            [RealtimeEvent.channel, event.payload])
        return UInt64(try rows[0].decode("txid", as: Int64.self))
    }

    /// Sends events on the real-time channel, within the caller's transaction (delivered at commit).
    package static func notify(_ db: PostgresConnection, _ events: [RealtimeEvent]) throws {
        guard !events.isEmpty else { return }
        try db.query("SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload", [RealtimeEvent.channel, events.map(\.payload)])
    }
}
