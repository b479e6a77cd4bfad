/// A conversation as `GET /api/conversations` lists it, and `GET /api/conversations/:id` shows it
/// (the latter without a preview).
///
/// `unread_count` is the viewer's side; `archived` is sent to admins only. Nullable fields are always present.
public struct ConversationRepresentation: Encodable, Sendable, Equatable {
    public var id: String
    public var userId: String
    public var user: UserSummary
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var lastMessageAt: Timestamp?
    public var unreadCount: Int
    /// Present in lists only.
    public var lastMessagePreview: String??
    /// Present for admins only.
    public var archived: Bool?

    enum CodingKeys: String, CodingKey {
        case id, user, archived
        case userId = "user_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastMessageAt = "last_message_at"
        case unreadCount = "unread_count"
        case lastMessagePreview = "last_message_preview"
    }

    public init(_ conversation: Conversation, user: User, viewer: User, preview: String?? = .none) {
        id = conversation.id.lowercasedString
        userId = conversation.userId.lowercasedString
        self.user = UserSummary(user)
        createdAt = conversation.createdAt
        updatedAt = conversation.updatedAt
        lastMessageAt = conversation.lastMessageAt
        unreadCount = conversation.unreadCount(forAdmin: viewer.isAdmin)
        lastMessagePreview = preview
        archived = viewer.isAdmin ? conversation.archivedByAdmin : nil
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(userId, forKey: .userId)
        try c.encode(user, forKey: .user)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(lastMessageAt, forKey: .lastMessageAt)
        try c.encode(unreadCount, forKey: .unreadCount)
        if case .some(let preview) = lastMessagePreview { try c.encode(preview, forKey: .lastMessagePreview) }
        try c.encodeIfPresent(archived, forKey: .archived)
    }
}

/// `GET /api/conversations`.
public struct ConversationListResponse: Encodable, Sendable {
    public struct Pagination: Encodable, Sendable, Equatable {
        public var page: Int
        public var limit: Int
        public var total: Int
        public var totalPages: Int

        enum CodingKeys: String, CodingKey {
            case page, limit, total
            case totalPages = "total_pages"
        }
    }

    public var conversations: [ConversationRepresentation]
    public var pagination: Pagination

    public init(listings: [ConversationListing], total: Int, page: Int, limit: Int, viewer: User) {
        conversations = listings.map {
            ConversationRepresentation($0.conversation, user: $0.user, viewer: viewer, preview: .some($0.lastMessagePreview))
        }
        pagination = Pagination(page: page, limit: limit, total: total, totalPages: limit > 0 ? (total + limit - 1) / limit : 0)
    }
}

/// `POST /api/conversations` (201).
public struct ConversationCreatedResponse: Encodable, Sendable {
    public var id: String
    public var userId: String
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var unreadCount: Int

    enum CodingKeys: String, CodingKey {
        case id
        case userId = "user_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case unreadCount = "unread_count"
    }

    public init(_ conversation: Conversation) {
        id = conversation.id.lowercasedString
        userId = conversation.userId.lowercasedString
        createdAt = conversation.createdAt
        updatedAt = conversation.updatedAt
        unreadCount = conversation.unreadCountUser
    }
}

/// `PATCH /api/conversations/:id/archive`.
public struct ArchiveResponse: Encodable, Sendable {
    public var id: String
    public var archived: Bool
    public var archivedAt: Timestamp?

    enum CodingKeys: String, CodingKey {
        case id, archived
        case archivedAt = "archived_at"
    }

    public init(_ conversation: Conversation) {
        id = conversation.id.lowercasedString
        archived = conversation.archivedByAdmin
        archivedAt = conversation.archivedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(archived, forKey: .archived)
        try c.encode(archivedAt, forKey: .archivedAt)
    }
}
