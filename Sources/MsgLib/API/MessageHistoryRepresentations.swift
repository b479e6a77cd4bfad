/// One change of a message, as `GET /api/messages/:id/history` and `msgctl show --history --json` write it. Nullable
/// fields are always present.
public struct MessageHistoryEntryRepresentation: Encodable, Sendable, Equatable {
    public var action: String
    public var changedAt: Timestamp
    public var actorId: String?
    /// The user as stored now; null when the change named nobody (plain SQL) or the user was removed since.
    public var actor: SenderRepresentation?
    public var databaseRole: String
    public var previousContent: String?
    public var previousWrittenAt: Timestamp?

    enum CodingKeys: String, CodingKey {
        case action, actor
        case changedAt = "changed_at"
        case actorId = "actor_id"
        case databaseRole = "database_role"
        case previousContent = "previous_content"
        case previousWrittenAt = "previous_written_at"
    }

    public init(_ entry: MessageHistoryEntry) {
        action = entry.action.rawValue
        changedAt = entry.changedAt
        actorId = entry.actorId?.lowercasedString
        actor = entry.actor.map(SenderRepresentation.init)
        databaseRole = entry.databaseRole
        previousContent = entry.previousContent
        previousWrittenAt = entry.previousWrittenAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(action, forKey: .action)
        try c.encode(changedAt, forKey: .changedAt)
        try c.encode(actorId, forKey: .actorId)
        try c.encode(actor, forKey: .actor)
        try c.encode(databaseRole, forKey: .databaseRole)
        try c.encode(previousContent, forKey: .previousContent)
        try c.encode(previousWrittenAt, forKey: .previousWrittenAt)
    }
}

/// `GET /api/messages/:id/history` (admins): the message as it is now, deleted or not, and its changes, oldest first.
public struct MessageHistoryResponse: Encodable, Sendable {
    public var id: String
    public var conversationId: String
    public var senderId: String
    public var sender: SenderRepresentation
    public var content: String
    public var createdAt: Timestamp
    public var editedAt: Timestamp?
    public var deletedAt: Timestamp?
    public var history: [MessageHistoryEntryRepresentation]

    enum CodingKeys: String, CodingKey {
        case id, sender, content, history
        case conversationId = "conversation_id"
        case senderId = "sender_id"
        case createdAt = "created_at"
        case editedAt = "edited_at"
        case deletedAt = "deleted_at"
    }

    public init(_ found: MessageWithHistory) {
        id = found.message.id.lowercasedString
        conversationId = found.message.conversationId.lowercasedString
        senderId = found.message.senderId.lowercasedString
        sender = SenderRepresentation(found.sender)
        content = found.message.content
        createdAt = found.message.createdAt
        editedAt = found.message.editedAt
        deletedAt = found.message.deletedAt
        history = found.history.map(MessageHistoryEntryRepresentation.init)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(conversationId, forKey: .conversationId)
        try c.encode(senderId, forKey: .senderId)
        try c.encode(sender, forKey: .sender)
        try c.encode(content, forKey: .content)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(editedAt, forKey: .editedAt)
        try c.encode(deletedAt, forKey: .deletedAt)
        try c.encode(history, forKey: .history)
    }
}
