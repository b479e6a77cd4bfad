import Foundation
import MsgLib

/// Users and conversations for tests, created through the repositories.
package struct Fixtures {
    package let admin: User
    package let alice: User
    package let bob: User

    package static func make(_ db: PostgresConnection) throws -> Fixtures {
        Fixtures(
            admin: try UserRepository.insert(db, username: "admin", displayName: "Admin", isAdmin: true),
            alice: try UserRepository.insert(db, username: "alice", displayName: "Alice"),
            bob: try UserRepository.insert(db, username: "bob", displayName: "Bob"))
    }
}

extension PostgresConnection {
    /// Waits until the notification outbox holds no job left to send (given up ones stay).
    package func waitForEmptyOutbox(timeout: TimeInterval = 20) async throws {
        try await waitFor("the outbox to empty", timeout: timeout) {
            try self.scalar("SELECT count(*) FROM notification_outbox WHERE failed_at IS NULL", as: Int.self) == 0
        }
    }

    /// How many sessions of this database wait for a lock: the sign that a race a test forces has its waiter.
    package func lockWaiters() throws -> Int {
        try scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
    }

    /// The single value of a one-row, one-column query.
    package func scalar<T: PostgresDecodable>(_ sql: String, _ parameters: [(any PostgresBindable)?] = [], as type: T.Type = T.self) throws -> T {
        try query(sql, parameters)[0].decode(0, as: T.self)
    }
}
