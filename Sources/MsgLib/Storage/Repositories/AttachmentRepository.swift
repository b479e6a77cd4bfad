import Foundation

/// Attachments (migration 24): uploads, what they are attached to, and the ones to remove.
package enum AttachmentRepository {
    static let columns =
        "id, owner_id, conversation_id, message_id, store_key, filename, content_type, size, width, height, state, created_at, attached_at, checked_at, refused"

    /// When `ownerId` has `maxPending` unattached uploads or more: the oldest one's creation (nil while there is room).
    /// Run inside a transaction: the owner's creations are serialised from here (an advisory lock) so that the count
    /// holds until ``create(_:ownerId:storeKey:filename:contentType:size:)``.
    package static func oldestPendingWhenFull(_ db: PostgresConnection, ownerId: UUID, maxPending: Int) throws -> Timestamp? {
        try db.query("SELECT pg_advisory_xact_lock(24, hashtext($1::text))", [ownerId.lowercasedString])
        return try db.query(
            "SELECT min(created_at) FROM attachments WHERE owner_id = $1 AND state = 'pending' AND refused IS NULL HAVING count(*) >= $2",
            [ownerId, maxPending]
        ).first.map { try $0.decode(0, as: Timestamp.self) }
    }

    /// Records a new upload of `ownerId` (after ``oldestPendingWhenFull(_:ownerId:maxPending:)`` in the same transaction).
    package static func create(
        _ db: PostgresConnection, ownerId: UUID, storeKey: String, filename: String, contentType: String, size: Int
    ) throws -> AttachmentRecord {
        try AttachmentRecord(
            row: db.query(
                """
                INSERT INTO attachments (owner_id, store_key, filename, content_type, size) VALUES ($1, $2, $3, $4, $5)
                RETURNING \(columns)
                """, [ownerId, storeKey, filename, contentType, size]
            )[0])
    }

    /// The attachment `id`, in any state.
    package static func find(_ db: PostgresConnection, id: UUID) throws -> AttachmentRecord? {
        try db.query("SELECT \(columns) FROM attachments WHERE id = $1", [id]).first.map { try AttachmentRecord(row: $0) }
    }

    /// The attachments among `ids`, in any state.
    package static func find(_ db: PostgresConnection, ids: [UUID]) throws -> [AttachmentRecord] {
        try db.query("SELECT \(columns) FROM attachments WHERE id = ANY($1::uuid[])", [ids]).map { try AttachmentRecord(row: $0) }
    }

    /// Locks the unattached uploads of `owner` among `ids` for the sending transaction; returns the ids locked (the
    /// others are someone else's, attached meanwhile, or gone).
    package static func lockPending(_ db: PostgresConnection, ids: [UUID], owner: UUID) throws -> Set<UUID> {
        Set(
            try db.query(
                "SELECT id FROM attachments WHERE id = ANY($1::uuid[]) AND owner_id = $2 AND state = 'pending' ORDER BY id FOR UPDATE",
                [ids, owner]
            ).map { try $0.decode(0, as: UUID.self) })
    }

    /// Records that the uploads `files` of `owner` were found in the store as declared, with the image sizes read.
    package static func recordChecked(_ db: PostgresConnection, _ files: [MessageAttachment], owner: UUID) throws {
        try db.query(
            """
            UPDATE attachments a SET checked_at = now(), width = nullif(f.width, -1), height = nullif(f.height, -1)
            FROM unnest($1::uuid[], $3::int[], $4::int[]) AS f(id, width, height)
            WHERE a.id = f.id AND a.owner_id = $2 AND a.state = 'pending'
            """, [files.map(\.id), owner, files.map { $0.width ?? -1 }, files.map { $0.height ?? -1 }])
    }

    /// Records that upload `id` of `owner` was found in the store unlike what was declared, and why. It can never be
    /// sent: its file is queued for removal at once, and it no longer counts among the owner's uploads waiting to be
    /// sent; the row stays until collected, so that later sends with it get the same answer.
    package static func recordRefused(_ db: PostgresConnection, id: UUID, owner: UUID, reason: String) throws {
        try db.query(
            """
            WITH refused AS (
                UPDATE attachments SET refused = $3 WHERE id = $1 AND owner_id = $2 AND state = 'pending' AND refused IS NULL
                RETURNING store_key, created_at
            )
            INSERT INTO attachment_garbage (store_key, upload_from) SELECT store_key, created_at FROM refused ON CONFLICT DO NOTHING
            """, [id, owner, reason])
    }

    /// Attaches `files` (locked by ``lockPending(_:ids:owner:)``), in their order, to a message, with the image sizes read.
    package static func attach(_ db: PostgresConnection, _ files: [MessageAttachment], messageId: UUID, conversationId: UUID) throws {
        let updated = try db.query(
            """
            UPDATE attachments a SET state = 'attached', message_id = $2, conversation_id = $3, position = f.position,
                width = nullif(f.width, -1), height = nullif(f.height, -1), attached_at = now(), checked_at = now()
            FROM unnest($1::uuid[], $4::int[], $5::int[]) WITH ORDINALITY AS f(id, width, height, position)
            WHERE a.id = f.id AND a.state = 'pending'
            """, [files.map(\.id), messageId, conversationId, files.map { $0.width ?? -1 }, files.map { $0.height ?? -1 }]
        ).affectedRows
        guard updated == files.count else { throw DatabaseError(.query, message: "attached \(updated) of \(files.count) attachments") }
    }

    /// An attachment with what deciding who may download it needs: its conversation's user, and whether its message is
    /// deleted. nil unless it is attached.
    package static func findAttached(_ db: PostgresConnection, id: UUID) throws -> (
        attachment: AttachmentRecord, conversationUserId: UUID, deleted: Bool
    )? {
        guard
            let row = try db.query(
                """
                SELECT \(columns.split(separator: ", ").map { "a.\($0)" }.joined(separator: ", ")),
                       c.user_id AS conversation_user_id, m.deleted_at IS NOT NULL AS deleted
                FROM attachments a JOIN messages m ON m.id = a.message_id JOIN conversations c ON c.id = a.conversation_id
                WHERE a.id = $1 AND a.state = 'attached'
                """, [id]
            ).first
        else { return nil }
        return (try AttachmentRecord(row: row), try row.decode("conversation_user_id"), try row.decode("deleted"))
    }

    /// Removes up to `limit` uploads left unattached for more than `seconds`, returning their store keys (the caller
    /// removes the files). Rows a sending transaction holds are skipped.
    package static func takeExpiredPending(_ db: PostgresConnection, olderThan seconds: Double, limit: Int) throws -> [String] {
        try db.query(
            """
            DELETE FROM attachments WHERE id IN (
                SELECT id FROM attachments WHERE state = 'pending' AND created_at < now() - make_interval(secs => $1::float8)
                ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED
            ) RETURNING store_key
            """, [seconds, limit]
        ).map { try $0.decode(0, as: String.self) }
    }

    /// Marks purged up to `limit` attachments of messages deleted before `cutoff`, returning their store keys
    /// (the caller removes the files).
    package static func takeDeleted(_ db: PostgresConnection, deletedBefore cutoff: Timestamp, limit: Int) throws -> [String] {
        try db.query(
            """
            WITH purged AS (
                UPDATE attachments SET state = 'purged' WHERE id IN (
                    SELECT a.id FROM attachments a JOIN messages m ON m.id = a.message_id
                    WHERE a.state = 'attached' AND m.deleted_at < $1
                    LIMIT $2 FOR UPDATE OF a SKIP LOCKED
                ) RETURNING store_key, created_at
            ), queued AS (
                INSERT INTO attachment_garbage (store_key, upload_from) SELECT store_key, created_at FROM purged ON CONFLICT DO NOTHING
            )
            SELECT store_key FROM purged
            """, [cutoff, limit]
        ).map { try $0.decode(0, as: String.self) }
    }

    /// How long a collector has to remove the files it leased before another may try them.
    static let garbageLease = 600

    /// Leases up to `limit` store keys of files whose rows are gone (``Migration/attachmentGarbage``) for
    /// ``garbageLease`` seconds: the caller removes the files, then ``forgetGarbage(_:keys:)``; a key it could not
    /// remove (or a caller that stopped) comes back after the lease.
    package static func leaseGarbage(_ db: PostgresConnection, limit: Int) throws -> [String] {
        try db.query(
            """
            UPDATE attachment_garbage SET due_at = now() + make_interval(secs => $2) WHERE store_key IN (
                SELECT store_key FROM attachment_garbage WHERE due_at <= now() ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED
            ) RETURNING store_key
            """, [limit, garbageLease]
        ).map { try $0.decode(0, as: String.self) }
    }

    /// Forgets the store keys whose files were removed, but those whose upload URL was issued less than `uploadWindow`
    /// seconds ago: an upload through it could bring the file back, so they are queued again for when it has expired,
    /// and forgotten after that removal.
    package static func forgetGarbage(_ db: PostgresConnection, keys: [String], uploadWindow: Double) throws {
        guard !keys.isEmpty else { return }
        try db.query(
            """
            WITH kept AS (
                UPDATE attachment_garbage SET due_at = upload_from + make_interval(secs => $2::float8), upload_from = NULL
                WHERE store_key = ANY($1::text[]) AND upload_from > now() - make_interval(secs => $2::float8)
                RETURNING store_key
            )
            DELETE FROM attachment_garbage WHERE store_key = ANY($1::text[]) AND store_key NOT IN (SELECT store_key FROM kept)
            """, [keys, uploadWindow])
    }

    /// How many uploads have been waiting unattached for more than `seconds`.
    package static func countExpiredPending(_ db: PostgresConnection, olderThan seconds: Double) throws -> Int {
        try db.query(
            "SELECT count(*) FROM attachments WHERE state = 'pending' AND created_at < now() - make_interval(secs => $1::float8)", [seconds]
        )[0].decode(0, as: Int.self)
    }

    /// How many attachments of messages deleted before `cutoff` still have their file.
    package static func countDeleted(_ db: PostgresConnection, deletedBefore cutoff: Timestamp) throws -> Int {
        try db.query(
            """
            SELECT count(*) FROM attachments a JOIN messages m ON m.id = a.message_id
            WHERE a.state = 'attached' AND m.deleted_at < $1
            """, [cutoff]
        )[0].decode(0, as: Int.self)
    }

    /// Whether any upload has been waiting longer than `seconds` (one index probe: the periodic collection's cheap check).
    package static func hasExpiredPending(_ db: PostgresConnection, olderThan seconds: Double) throws -> Bool {
        try !db.query(
            "SELECT 1 FROM attachments WHERE state = 'pending' AND created_at < now() - make_interval(secs => $1::float8) LIMIT 1", [seconds]
        ).isEmpty
    }
}

extension AttachmentRecord {
    init(row: PostgresRow) throws(DatabaseError) {
        self.init(
            id: try row.decode("id"), ownerId: try row.decode("owner_id"), conversationId: try row.decode("conversation_id"),
            messageId: try row.decode("message_id"), storeKey: try row.decode("store_key"), filename: try row.decode("filename"),
            contentType: try row.decode("content_type"), size: try row.decode("size"), width: try row.decode("width"),
            height: try row.decode("height"), state: State(rawValue: try row.decode("state")) ?? .pending,
            createdAt: try row.decode("created_at"), attachedAt: try row.decode("attached_at"), checkedAt: try row.decode("checked_at"),
            refused: try row.decode("refused"))
    }
}
