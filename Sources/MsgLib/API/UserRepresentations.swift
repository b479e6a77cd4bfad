/// A conversation's user, as conversation lists and search results show it.
public struct UserSummary: Encodable, Sendable, Equatable {
    public var id: String
    public var username: String
    public var displayName: String
    /// Absent in search results, which show only id, username and display name.
    public var slug: String?

    enum CodingKeys: String, CodingKey {
        case id, username, slug
        case displayName = "display_name"
    }

    public init(_ user: User, includeSlug: Bool = true) {
        id = user.id.lowercasedString
        username = user.username
        displayName = user.displayName
        slug = includeSlug ? user.slug : nil
    }
}

/// A message's sender.
public struct SenderRepresentation: Codable, Sendable, Equatable {
    public var id: String
    public var username: String
    public var displayName: String
    public var isAdmin: Bool

    enum CodingKeys: String, CodingKey {
        case id, username
        case displayName = "display_name"
        case isAdmin = "is_admin"
    }

    public init(_ user: User) {
        id = user.id.lowercasedString
        username = user.username
        displayName = user.displayName
        isAdmin = user.isAdmin
    }
}

/// A whole user record, as `msgctl user list --json` prints it.
public struct UserRecord: Encodable, Sendable, Equatable {
    public var id: String
    public var username: String
    public var displayName: String
    public var slug: String
    public var isAdmin: Bool
    public var createdAt: Timestamp

    enum CodingKeys: String, CodingKey {
        case id, username, slug
        case displayName = "display_name"
        case isAdmin = "is_admin"
        case createdAt = "created_at"
    }

    public init(_ user: User) {
        id = user.id.lowercasedString
        username = user.username
        displayName = user.displayName
        slug = user.slug
        isAdmin = user.isAdmin
        createdAt = user.createdAt
    }
}
