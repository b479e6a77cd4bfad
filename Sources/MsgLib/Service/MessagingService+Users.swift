import Foundation

extension MessagingService {
    /// Adds a user; with `ifNotExists`, returns the user who already has `username` instead. A slug made from the
    /// username (none given) that is taken gets a number (`user-2`: names of letters outside ASCII all make `user`).
    /// - Throws: `.conflict` when the username or the slug given is taken (the message says which).
    public func addUser(username: String, displayName: String, slug: String?, isAdmin: Bool, ifNotExists: Bool = false) async throws -> User {
        for (text, what) in [(username, "The username"), (displayName, "The display name"), (slug ?? "", "The slug")] {
            try Self.requireNoNul(text, what)
        }
        return try await pool.withConnection { db in
            if ifNotExists, let existing = try UserRepository.find(db, username: username) { return existing }
            let base = slug ?? User.slug(from: username)
            var number = 1
            while true {
                do {
                    return try UserRepository.insert(
                        db, username: username, displayName: displayName, slug: number == 1 ? base : "\(base)-\(number)", isAdmin: isAdmin)
                } catch let error as DatabaseError where error.kind == .conflict {
                    let onSlug = error.constraint?.contains("slug") == true
                    if onSlug, slug == nil, number < Self.derivedSlugAttempts {
                        number += 1
                        continue
                    }
                    throw ServiceError(.conflict, "a user with that \(onSlug ? "slug" : "username") already exists")
                }
            }
        }
    }

    /// The numbers tried after a slug made from a username that is taken.
    static let derivedSlugAttempts = 1000

    /// Every user, admins first, then by username.
    public func users() async throws -> [User] {
        try await pool.withConnection { db in try UserRepository.list(db) }
    }

    /// The user `name` names, by id or by username; nil when there is none.
    /// - Throws: `.invalid` when `name` is the id of one user and the username of another (a username may look like an
    ///   id): neither is guessed.
    public func user(named name: String) async throws -> User? {
        try await pool.withConnection { db in try Self.user(db, named: name) }
    }

    /// The user with this id; nil when there is none.
    public func user(id: UUID) async throws -> User? {
        try await pool.withConnection { db in try UserRepository.find(db, id: id) }
    }

    /// See ``user(named:)``.
    static func user(_ db: PostgresConnection, named name: String) throws -> User? {
        let byUsername = try UserRepository.find(db, username: name)
        guard let id = UUID(uuidString: name), let byId = try UserRepository.find(db, id: id) else { return byUsername }
        if let byUsername, byUsername.id != byId.id {
            throw ServiceError(
                .invalid,
                "\"\(name)\" is the id of \(byId.username) and the username of \(byUsername.id.lowercasedString): name either by the other")
        }
        return byId
    }
}
