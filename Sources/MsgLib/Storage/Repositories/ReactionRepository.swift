import Foundation

/// Emoji reactions (migration 29): who reacted to which message with what, and each message's last change, which
/// relays deliver in commit order (``DeliveryRepository``).
package enum ReactionRepository {
    /// A message locked against other reactions and against deletion until the transaction ends, with what the rules
    /// need: its conversation, whose it is, and whether it is deleted.
    package struct LockedMessage: Sendable {
        package var conversationId: UUID
        package var conversationUserId: UUID
        package var deleted: Bool
    }

    /// Locks message `id` (`FOR NO KEY UPDATE`: changes to one message's reactions take turns, so the limit on kinds
    /// holds however many relays add at once); nil when there is no such message.
    package static func lockMessage(_ db: PostgresConnection, id: UUID) throws -> LockedMessage? {
        try db.query(
            """
            SELECT m.conversation_id, c.user_id, m.deleted_at IS NOT NULL AS deleted
            FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE m.id = $1 FOR NO KEY UPDATE OF m
            """, [id]
        ).first.map { row in
            LockedMessage(conversationId: try row.decode(0), conversationUserId: try row.decode(1), deleted: try row.decode(2))
        }
    }

    /// What ``add(_:messageId:userId:emoji:maximumKinds:)`` did.
    package enum AddOutcome: Sendable, Equatable {
        case added
        /// The person had reacted so already.
        case present
        /// The message has `maximumKinds` other kinds already.
        case full
    }

    /// Adds a reaction unless it is there, or it would be a kind beyond `maximumKinds`. Run after
    /// ``lockMessage(_:id:)`` in the same transaction, so the count holds until the commit.
    /// - Parameter fromSlack: the reaction came from Slack (it is not mirrored back).
    package static func add(
        _ db: PostgresConnection, messageId: UUID, userId: UUID, emoji: String, maximumKinds: Int, fromSlack: Bool = false
    ) throws -> AddOutcome {
        let inserted = try db.query(
            """
            INSERT INTO message_reactions (message_id, emoji, user_id, from_slack)
            SELECT $1, $2, $3, $5
            WHERE EXISTS (SELECT 1 FROM message_reactions WHERE message_id = $1 AND emoji = $2)
               OR (SELECT count(DISTINCT emoji) FROM message_reactions WHERE message_id = $1) < $4
            ON CONFLICT DO NOTHING
            RETURNING 1
            """, [messageId, emoji, userId, maximumKinds, fromSlack])
        if !inserted.isEmpty { return .added }
        let present = try db.query(
            "SELECT 1 FROM message_reactions WHERE message_id = $1 AND emoji = $2 AND user_id = $3", [messageId, emoji, userId])
        return present.isEmpty ? .full : .present
    }

    /// How many reacted to message `messageId` with `emoji` in the product (reactions that came from Slack not counted).
    package static func countInProduct(_ db: PostgresConnection, messageId: UUID, emoji: String) throws -> Int {
        try db.query(
            "SELECT count(*) FROM message_reactions WHERE message_id = $1 AND emoji = $2 AND NOT from_slack", [messageId, emoji]
        )[0].decode(0)
    }

    /// Removes a reaction; false when there was none.
    /// - Parameter onlyFromSlack: removes the reaction only when it came from Slack (a removal in Slack leaves one made
    ///   in the product, which the bot's reaction in Slack stands for).
    package static func remove(_ db: PostgresConnection, messageId: UUID, userId: UUID, emoji: String, onlyFromSlack: Bool = false) throws -> Bool {
        try db.query(
            "DELETE FROM message_reactions WHERE message_id = $1 AND emoji = $2 AND user_id = $3 AND (from_slack OR NOT $4) RETURNING 1",
            [messageId, emoji, userId, onlyFromSlack]
        ).count > 0
    }

    /// Records the message's last change, with the transaction that makes it (delivered once it commits).
    package static func recordChange(
        _ db: PostgresConnection, messageId: UUID, conversationId: UUID, userId: UUID, emoji: String, added: Bool
    ) throws {
        try db.query(
            """
            INSERT INTO message_reaction_changes (message_id, conversation_id, user_id, emoji, added) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (message_id) DO UPDATE SET change_id = uuid_generate_v7(), txid = pg_current_xact_id(),
                user_id = excluded.user_id, emoji = excluded.emoji, added = excluded.added
            """, [messageId, conversationId, userId, emoji, added])
    }

    /// The reactions of each of `messageIds` that has any: kinds in the order they first appeared, people in the order
    /// they reacted.
    package static func reactions(_ db: PostgresConnection, messageIds: [UUID]) throws -> [UUID: [MessageReaction]] {
        guard !messageIds.isEmpty else { return [:] }
        let rows = try db.query(
            """
            SELECT message_id, emoji, user_id FROM (
                SELECT message_id, emoji, user_id, created_at, min(created_at) OVER (PARTITION BY message_id, emoji) AS first_at
                FROM message_reactions WHERE message_id = ANY($1::uuid[])
            ) r ORDER BY message_id, first_at, emoji, created_at, user_id
            """, [messageIds])
        var out: [UUID: [MessageReaction]] = [:]
        for row in rows {
            let messageId: UUID = try row.decode(0)
            let emoji: String = try row.decode(1)
            let userId: UUID = try row.decode(2)
            if out[messageId]?.last?.emoji == emoji {
                out[messageId]![out[messageId]!.count - 1].userIds.append(userId)
            } else {
                out[messageId, default: []].append(MessageReaction(emoji: emoji, userIds: [userId]))
            }
        }
        return out
    }

    /// The last changes of visible messages in `upTo` but not in `since`, in the conversations `viewer` sees (all for
    /// nil), with each message's reactions as they stand; in commit order as far as `txid` tells, at most `limit`.
    package static func changes(
        _ db: PostgresConnection, since: CommitSnapshot, upTo: CommitSnapshot, viewer: User?, limit: Int
    ) throws -> [ReactionChange] {
        var conditions = DeliveryRepository.Conditions()
        let notIn = conditions.notIn(since, txid: "x.txid", id: "x.change_id")
        let isIn = conditions.isIn(upTo, txid: "x.txid", id: "x.change_id")
        var scope = ""
        if let viewer, !viewer.isAdmin {
            scope = " AND x.conversation_id = (SELECT id FROM conversations WHERE user_id = \(conditions.bind(viewer.id))::uuid)"
        }
        let count = conditions.bind(limit)
        let rows = try db.query(
            """
            SELECT \(changeColumns)
            FROM message_reaction_changes x JOIN messages m ON m.id = x.message_id JOIN conversations c ON c.id = x.conversation_id
            WHERE \(notIn) AND \(isIn) AND m.deleted_at IS NULL\(scope)
            ORDER BY x.txid, x.change_id LIMIT \(count)
            """, conditions.parameters)
        return try withReactions(db, rows.map(change))
    }

    /// A relay's batch of reaction changes: the last changes of visible messages in `upTo` but not in `since`, with
    /// each message's reactions as they stand, in commit order as far as `txid` tells; and the clock of the oldest
    /// change committed but ahead of `upTo`'s clock, which waits for a later batch as such messages do (see
    /// ``DeliveryRepository/committed(_:since:limit:)``; changes more than a day ahead are not read). At most `limit`
    /// changes: nil when more were committed.
    package static func committedChanges(
        _ db: PostgresConnection, since: CommitSnapshot, upTo: CommitSnapshot, limit: Int
    ) throws -> (changes: [ReactionChange], waiting: Int64?)? {
        var conditions = DeliveryRepository.Conditions()
        let notIn = conditions.notIn(since, txid: "x.txid", id: "x.change_id", top: DeliveryRepository.dayAheadBound)
        let snapshot = conditions.bind(upTo.postgresText)
        let count = conditions.bind(limit + 1)
        let rows = try db.query(
            """
            SELECT \(changeColumns), x.change_id
            FROM message_reaction_changes x JOIN messages m ON m.id = x.message_id JOIN conversations c ON c.id = x.conversation_id
            WHERE \(notIn) AND pg_visible_in_snapshot(x.txid, \(snapshot)::pg_snapshot) AND m.deleted_at IS NULL
            ORDER BY x.txid, x.change_id LIMIT \(count)
            """, conditions.parameters)
        if rows.count > limit { return nil }
        let (shown, waiting) = try upTo.splitByClock(Array(rows)) { try $0.decode(6, as: UUID.self).v7Millis }
        return (try withReactions(db, shown.map(change)), waiting)
    }

    private static let changeColumns = "x.message_id, x.conversation_id, c.user_id AS conversation_user_id, x.user_id, x.emoji, x.added"

    private static func change(_ row: PostgresRow) throws -> ReactionChange {
        ReactionChange(
            messageId: try row.decode(0), conversationId: try row.decode(1), conversationUserId: try row.decode(2), userId: try row.decode(3),
            emoji: try row.decode(4), added: try row.decode(5), reactions: [])
    }

    /// `changes` with each message's reactions as they stand.
    private static func withReactions(_ db: PostgresConnection, _ changes: [ReactionChange]) throws -> [ReactionChange] {
        var changes = changes
        let current = try reactions(db, messageIds: changes.map(\.messageId))
        for i in changes.indices { changes[i].reactions = current[changes[i].messageId] ?? [] }
        return changes
    }
}
