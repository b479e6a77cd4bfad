import Foundation

/// Users: the site's accounts, of which `is_admin` ones are the admin.
package enum UserRepository {
    static let columns = "id, username, display_name, slug, is_admin, created_at"

    /// Inserts a user. - Throws: ``DatabaseError`` `.conflict` when the username or slug is taken.
    package static func insert(
        _ db: PostgresConnection, username: String, displayName: String, slug: String? = nil, isAdmin: Bool = false
    ) throws -> User {
        let rows = try db.query(
            "INSERT INTO users (username, display_name, slug, is_admin) VALUES ($1, $2, $3, $4) RETURNING \(columns)",
            [username, displayName, slug ?? User.slug(from: username), isAdmin])
        return try User(row: rows[0])
    }

    package static func find(_ db: PostgresConnection, id: UUID) throws -> User? {
        try db.query("SELECT \(columns) FROM users WHERE id = $1", [id]).first.map { try User(row: $0) }
    }

    /// The users among `ids` that exist.
    package static func find(_ db: PostgresConnection, ids: [UUID]) throws -> [User] {
        try db.query("SELECT \(columns) FROM users WHERE id = ANY($1::uuid[])", [ids]).map { try User(row: $0) }
    }

    package static func find(_ db: PostgresConnection, username: String) throws -> User? {
        try db.query("SELECT \(columns) FROM users WHERE username = $1", [username]).first.map { try User(row: $0) }
    }

    /// Every user, admins first, then by username.
    package static func list(_ db: PostgresConnection) throws -> [User] {
        try db.query("SELECT \(columns) FROM users ORDER BY is_admin DESC, username").map { try User(row: $0) }
    }

    /// The admins, by username.
    package static func admins(_ db: PostgresConnection) throws -> [User] {
        try db.query("SELECT \(columns) FROM users WHERE is_admin ORDER BY username").map { try User(row: $0) }
    }
}
