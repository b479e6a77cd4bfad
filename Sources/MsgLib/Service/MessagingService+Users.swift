import Foundation

extension MessagingService {
    /// Adds a user; with `ifNotExists`, returns the user who already has `username` instead.
    /// - Throws: `.conflict` when the username or slug is taken (the message says which).
    public func addUser(username: String, displayName: String, slug: String?, isAdmin: Bool, ifNotExists: Bool = false) async throws -> User {
        for (text, what) in [(username, "The username"), (displayName, "The display name"), (slug ?? "", "The slug")] {
            try Self.requireNoNul(text, what)
        }
        return try await pool.withConnection { db in
            if ifNotExists, let existing = try UserRepository.find(db, username: username) { return existing }
            do {
                return try UserRepository.insert(db, username: username, displayName: displayName, slug: slug, isAdmin: isAdmin)
            } catch let error as DatabaseError where error.kind == .conflict {
                let what = error.constraint?.contains("slug") == true ? "slug" : "username"
                throw ServiceError(.conflict, "a user with that \(what) already exists")
            }
        }
    }

    /// Every user, admins first, then by username.
    public func users() async throws -> [User] {
        try await pool.withConnection { db in try UserRepository.list(db) }
    }

    /// The user with this id or, failing that, this username; nil when there is none.
    public func user(named name: String) async throws -> User? {
        try await pool.withConnection { db in try UserRepository.find(db, idOrUsername: name) }
    }
}
