import Foundation

/// Web Push subscriptions, unique by endpoint.
package enum PushSubscriptionRepository {
    static let columns = "id, user_id, endpoint, p256dh_key, auth_key, created_at, last_used_at"

    /// Saves a subscription; an endpoint already known is moved to `userId` with the new keys.
    package static func upsert(_ db: PostgresConnection, userId: UUID, endpoint: String, p256dh: String, auth: String) throws -> PushSubscription {
        try PushSubscription(
            row: db.query(
                """
                INSERT INTO push_subscriptions (user_id, endpoint, p256dh_key, auth_key) VALUES ($1, $2, $3, $4)
                ON CONFLICT (endpoint) DO UPDATE
                SET user_id = EXCLUDED.user_id, p256dh_key = EXCLUDED.p256dh_key, auth_key = EXCLUDED.auth_key
                RETURNING \(columns)
                """, [userId, endpoint, p256dh, auth])[0])
    }

    /// Deletes the subscription of `userId` at `endpoint`; false when there was none.
    package static func delete(_ db: PostgresConnection, userId: UUID, endpoint: String) throws -> Bool {
        try db.query("DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2", [userId, endpoint]).affectedRows > 0
    }

    /// Deletes a subscription by id (the push service said it is gone).
    package static func delete(_ db: PostgresConnection, id: UUID) throws -> Bool {
        try db.query("DELETE FROM push_subscriptions WHERE id = $1", [id]).affectedRows > 0
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

    /// Records a successful delivery to each of `ids`, in one statement.
    package static func touch(_ db: PostgresConnection, ids: [UUID]) throws {
        guard !ids.isEmpty else { return }
        try db.query("UPDATE push_subscriptions SET last_used_at = now() WHERE id = ANY($1::uuid[])", [ids])
    }
}
