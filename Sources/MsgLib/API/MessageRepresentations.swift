/// A message in a list or a `message` frame, with its sender. Nullable fields are always present.
public struct MessageRepresentation: Codable, Sendable, Equatable {
    public var id: String
    public var conversationId: String
    public var senderId: String
    public var sender: SenderRepresentation
    public var content: String
    public var createdAt: Timestamp
    public var readAt: Timestamp?
    public var editedAt: Timestamp?
    /// Its files (an empty list for most messages).
    public var attachments: [MessageAttachment]
    /// Its reactions as the viewer sees them (an empty list for most messages).
    public var reactions: [ReactionRepresentation] = []
    /// In a `message` frame: where a client that processed it resumes (``ResumeCursor``). Absent in REST answers.
    public var cursor: String?

    enum CodingKeys: String, CodingKey {
        case id, sender, content, cursor, attachments, reactions
        case conversationId = "conversation_id"
        case senderId = "sender_id"
        case createdAt = "created_at"
        case readAt = "read_at"
        case editedAt = "edited_at"
    }

    /// `viewer`: who the reactions are shown to (whether they reacted; for an admin, who did).
    public init(_ message: Message, sender: User, viewer: User? = nil) {
        id = message.id.lowercasedString
        conversationId = message.conversationId.lowercasedString
        senderId = message.senderId.lowercasedString
        self.sender = SenderRepresentation(sender)
        content = message.content
        createdAt = message.createdAt
        readAt = message.readAt
        editedAt = message.editedAt
        attachments = message.attachments
        reactions = ReactionRepresentation.list(message.reactions, viewer: viewer)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        conversationId = try c.decode(String.self, forKey: .conversationId)
        senderId = try c.decode(String.self, forKey: .senderId)
        sender = try c.decode(SenderRepresentation.self, forKey: .sender)
        content = try c.decode(String.self, forKey: .content)
        createdAt = try c.decode(Timestamp.self, forKey: .createdAt)
        readAt = try c.decodeIfPresent(Timestamp.self, forKey: .readAt)
        editedAt = try c.decodeIfPresent(Timestamp.self, forKey: .editedAt)
        // Relays from before attachments send none.
        attachments = try c.decodeIfPresent([MessageAttachment].self, forKey: .attachments) ?? []
        reactions = try c.decodeIfPresent([ReactionRepresentation].self, forKey: .reactions) ?? []
        cursor = try c.decodeIfPresent(String.self, forKey: .cursor)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(conversationId, forKey: .conversationId)
        try c.encode(senderId, forKey: .senderId)
        try c.encode(sender, forKey: .sender)
        try c.encode(content, forKey: .content)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(readAt, forKey: .readAt)
        try c.encode(editedAt, forKey: .editedAt)
        try c.encode(attachments, forKey: .attachments)
        try c.encode(reactions, forKey: .reactions)
        try c.encodeIfPresent(cursor, forKey: .cursor)
    }
}

/// `GET /api/conversations/:id/messages`.
public struct MessageListResponse: Encodable, Sendable {
    public struct Pagination: Encodable, Sendable, Equatable {
        public var page: Int
        public var limit: Int
        public var total: Int
        public var hasMore: Bool

        enum CodingKeys: String, CodingKey {
            case page, limit, total
            case hasMore = "has_more"
        }
    }

    public var messages: [MessageRepresentation]
    public var pagination: Pagination

    public init(messages: [MessageWithSender], total: Int, page: Int, limit: Int, viewer: User? = nil) {
        self.messages = messages.map { MessageRepresentation($0.message, sender: $0.sender, viewer: viewer) }
        pagination = Pagination(page: page, limit: limit, total: total, hasMore: pageOffset(page: page, limit: limit) + limit < total)
    }
}

/// `POST /api/messages` (201).
public struct MessageCreatedResponse: Encodable, Sendable {
    public var message: Message

    public init(_ message: Message) { self.message = message }

    enum CodingKeys: String, CodingKey {
        case id, content, attachments
        case conversationId = "conversation_id"
        case senderId = "sender_id"
        case createdAt = "created_at"
        case readAt = "read_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(message.id.lowercasedString, forKey: .id)
        try c.encode(message.conversationId.lowercasedString, forKey: .conversationId)
        try c.encode(message.senderId.lowercasedString, forKey: .senderId)
        try c.encode(message.content, forKey: .content)
        try c.encode(message.createdAt, forKey: .createdAt)
        try c.encode(message.readAt, forKey: .readAt)
        try c.encode(message.attachments, forKey: .attachments)
    }
}

/// `PATCH /api/messages/:id/read`.
public struct ReadResponse: Encodable, Sendable {
    public var id: String
    public var readAt: Timestamp?

    enum CodingKeys: String, CodingKey {
        case id
        case readAt = "read_at"
    }

    public init(_ message: Message) {
        id = message.id.lowercasedString
        readAt = message.readAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(readAt, forKey: .readAt)
    }
}

/// `PATCH /api/messages/bulk-read`.
public struct BulkReadResponse: Encodable, Sendable {
    public var updatedCount: Int

    enum CodingKeys: String, CodingKey {
        case updatedCount = "updated_count"
    }

    public init(updatedCount: Int) { self.updatedCount = updatedCount }
}

/// `PATCH /api/messages/:id`.
public struct EditResponse: Encodable, Sendable {
    public var id: String
    public var content: String
    public var editedAt: Timestamp?

    enum CodingKeys: String, CodingKey {
        case id, content
        case editedAt = "edited_at"
    }

    public init(_ message: Message) {
        id = message.id.lowercasedString
        content = message.content
        editedAt = message.editedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(content, forKey: .content)
        try c.encode(editedAt, forKey: .editedAt)
    }
}

/// `GET /api/messages/search`.
public struct SearchResponse: Encodable, Sendable {
    public struct Result: Encodable, Sendable {
        public struct MessagePart: Encodable, Sendable {
            public var id: String
            public var conversationId: String
            public var senderId: String
            public var content: String
            public var createdAt: Timestamp
            public var rank: Double
            public var attachments: [MessageAttachment]

            enum CodingKeys: String, CodingKey {
                case id, content, rank, attachments
                case conversationId = "conversation_id"
                case senderId = "sender_id"
                case createdAt = "created_at"
            }
        }

        public struct ConversationPart: Encodable, Sendable {
            public var id: String
            public var user: UserSummary
        }

        public var message: MessagePart
        public var conversation: ConversationPart
        public var matchSnippet: String

        enum CodingKeys: String, CodingKey {
            case message, conversation
            case matchSnippet = "match_snippet"
        }
    }

    public var results: [Result]
    /// The number of matches; with `totalExact` false, at least this many (a search over all conversations stops
    /// counting past ``SearchTotal/bound``).
    public var total: Int
    public var totalExact: Bool

    enum CodingKeys: String, CodingKey {
        case results, total
        case totalExact = "total_exact"
    }

    public init(hits: [MessageSearchHit], total: SearchTotal) {
        results = hits.map { hit in
            Result(
                message: .init(
                    id: hit.message.id.lowercasedString, conversationId: hit.message.conversationId.lowercasedString,
                    senderId: hit.message.senderId.lowercasedString, content: hit.message.content, createdAt: hit.message.createdAt,
                    rank: hit.rank, attachments: hit.message.attachments),
                conversation: .init(id: hit.message.conversationId.lowercasedString, user: UserSummary(hit.user, includeSlug: false)),
                matchSnippet: hit.snippet.html)
        }
        self.total = total.count
        totalExact = total.isExact
    }
}
