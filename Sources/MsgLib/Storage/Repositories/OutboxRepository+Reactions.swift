import Foundation

/// A reaction an outbox job announces: the emoji, whether it was added, and who reacted.
package struct OutboxReaction: Sendable, Equatable {
    package var emoji: String
    package var added: Bool
    package var reactor: User
    /// False when the reactor has taken the reaction back since the job was queued (a push job's): nothing to tell.
    package var present: Bool

    /// The reaction a claimed job's row names (columns `o_reaction`, `o_reaction_added`, `o_reaction_present` and the
    /// reactor's as `r_`), if any.
    init?(row: PostgresRow) throws(DatabaseError) {
        guard let emoji = try row.decode("o_reaction", as: String?.self), try row.decode("r_id", as: UUID?.self) != nil else { return nil }
        self.emoji = emoji
        added = try row.decode("o_reaction_added", as: Bool?.self) ?? true
        reactor = try User(row: row, prefix: "r_")
        present = try row.decode("o_reaction_present", as: Bool?.self) ?? true
    }
}

extension OutboxRepository {
    /// Queues a Web Push of a reaction `reactor` added to a message, to the other side of its conversation: the
    /// conversation's user for an admin's reaction, every admin but the reactor for the user's (the conversation tells,
    /// as for messages: a user made admin reacts to the admins in their own conversation). A subscription that has the same push
    /// waiting (added, taken back and added again before it left) gets no second one; one being sent now (locked by a
    /// round) does. Returns how many jobs were queued.
    @discardableResult
    package static func enqueueReactionPush(
        _ db: PostgresConnection, messageId: UUID, conversationUserId: UUID, reactor: User, emoji: String
    ) throws -> Int {
        try db.query(
            """
            INSERT INTO notification_outbox (kind, message_id, subscription_id, reaction, reaction_added, reactor_id)
            SELECT 'push', $1, p.id, $2, true, $3 FROM push_subscriptions p
            WHERE CASE WHEN $3::uuid <> $4::uuid THEN p.user_id = $4 ELSE p.user_id IN (SELECT id FROM users WHERE is_admin) AND p.user_id <> $3 END
              AND NOT EXISTS (
                  SELECT 1 FROM notification_outbox o
                  WHERE o.message_id = $1 AND o.subscription_id = p.id AND o.kind = 'push' AND o.reaction = $2 AND o.reactor_id = $3
                    AND o.failed_at IS NULL
                  FOR UPDATE SKIP LOCKED)
            RETURNING id
            """, [messageId, emoji, reactor.id, conversationUserId]
        ).count
    }
}
