import Foundation

/// Web Push subscriptions, unique by endpoint: an endpoint belongs to the user who registered it first.
package enum PushSubscriptionRepository {
    static let columns = "id, user_id, endpoint, p256dh_key, auth_key, created_at, last_used_at"

    /// Saves `userId`'s subscription: an endpoint of theirs already known gets the new keys (same id); an endpoint
    /// another user registered is left alone. With a `limit`, the user keeps at most that many subscriptions: those
    /// beyond it, least recently used first (last delivery, else creation), are deleted with their pending jobs.
    ///
    /// Run it in a transaction: it takes a lock per user until the end of it, so that concurrent calls for one user
    /// (through several relays) count each other's subscriptions.
    /// - Returns: the subscription, or nil when the endpoint belongs to another user.
    package static func upsert(
        _ db: PostgresConnection, userId: UUID, endpoint: String, p256dh: String, auth: String, limit: Int? = nil
    ) throws -> PushSubscription? {
        if limit != nil {
            try db.query("SELECT pg_advisory_xact_lock(hashtextextended('push_subscriptions ' || $1::text, 0))", [userId])
        }
        guard
            let row = try db.query(
                """
                INSERT INTO push_subscriptions (user_id, endpoint, p256dh_key, auth_key) VALUES ($1, $2, $3, $4)
                ON CONFLICT (endpoint) DO UPDATE SET p256dh_key = EXCLUDED.p256dh_key, auth_key = EXCLUDED.auth_key
                WHERE push_subscriptions.user_id = EXCLUDED.user_id
                RETURNING \(columns)
                """, [userId, endpoint, p256dh, auth]
            ).first
        else { return nil }
        let saved = try PushSubscription(row: row)
        if let limit {
            try db.query(
                """
                DELETE FROM push_subscriptions WHERE id IN (
                    SELECT id FROM push_subscriptions WHERE user_id = $1 AND id <> $2
                    ORDER BY coalesce(last_used_at, created_at) DESC, id DESC OFFSET $3)
                """, [userId, saved.id, max(0, limit - 1)])
        }
        return saved
    }

    /// Deletes the subscription of `userId` at `endpoint`; false when there was none.
    package static func delete(_ db: PostgresConnection, userId: UUID, endpoint: String) throws -> Bool {
        try db.query("DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2", [userId, endpoint]).affectedRows > 0
    }

    /// Deletes a subscription by id (the push service said it is gone), unless another transaction is deleting it
    /// already: two outbox rounds that each hold a job of it would otherwise wait for each other (the deletion's cascade
    /// waits for the other's job, the other's deletion for this one).
    package static func delete(_ db: PostgresConnection, id: UUID) throws -> Bool {
        try db.query("DELETE FROM push_subscriptions WHERE id IN (SELECT id FROM push_subscriptions WHERE id = $1 FOR UPDATE SKIP LOCKED)", [id])
            .affectedRows > 0
    }

    /// The subscriptions of one user, oldest first.
    package static func list(_ db: PostgresConnection, userId: UUID) throws -> [PushSubscription] {
        try db.query("SELECT \(columns) FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at, id", [userId])
            .map { try PushSubscription(row: $0) }
    }

    /// The subscriptions of every admin.
    package static func listForAdmins(_ db: PostgresConnection) throws -> [PushSubscription] {
        try db.query(
            """
            SELECT p.id, p.user_id, p.endpoint, p.p256dh_key, p.auth_key, p.created_at, p.last_used_at
            FROM push_subscriptions p JOIN users u ON u.id = p.user_id WHERE u.is_admin ORDER BY p.created_at, p.id
            """
        ).map { try PushSubscription(row: $0) }
    }

    /// Records a successful delivery to each of `ids`, in one statement; a subscription another transaction is
    /// removing is left alone (the removal may be waiting for this transaction's outbox jobs: waiting for it in turn
    /// would be a deadlock).
    package static func touch(_ db: PostgresConnection, ids: [UUID]) throws {
        guard !ids.isEmpty else { return }
        try db.query(
            """
            UPDATE push_subscriptions SET last_used_at = now()
            WHERE id IN (SELECT id FROM push_subscriptions WHERE id = ANY($1::uuid[]) FOR NO KEY UPDATE SKIP LOCKED)
            """, [ids])
    }
}
