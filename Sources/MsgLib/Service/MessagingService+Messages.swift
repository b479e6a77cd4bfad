import Foundation

extension MessagingService {
    /// A page of a conversation's visible messages, in chronological order.
    ///
    /// Page 1 holds the newest `limit` messages (older pages follow) unless only `after` is given: then page 1
    /// holds the first `limit` messages after that time, which is what a client catching up wants.
    public func listMessages(viewer: User, conversationId: UUID, page: PageRequest) async throws -> (messages: [MessageWithSender], total: Int) {
        let page = page.storagePage
        return try await pool.withConnection { db in
            // One snapshot for the count and the page: a message committed between them would push the oldest out of
            // a full last page while the count says nothing older remains (`has_more` false).
            try db.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
                _ = try Self.accessibleConversation(db, id: conversationId, viewer: viewer)
                var (messages, total) = try MessageRepository.list(db, conversationId: conversationId, page: page)
                let reactions = try ReactionRepository.reactions(db, messageIds: messages.map(\.message.id))
                for i in messages.indices { messages[i].message.reactions = reactions[messages[i].message.id] ?? [] }
                return (messages, total)
            }
        }
    }

    /// Sends a message. Without a conversation id, a user's message goes to their own conversation, which is
    /// created when it does not exist yet; an admin must name the conversation. With `attachmentIds` (the sender's
    /// uploads, at most 10), the text may be empty; the files are checked in the store, then attached in the
    /// transaction that inserts the message (such sends are written alone, not batched).
    ///
    /// `origin` `.slack` is for a message that came from the conversation's Slack thread: it is stored, delivered
    /// live and pushed like any other, but not posted back to Slack. `source` is stored with the message.
    /// - Throws: `.invalid` (content, missing id, an attachment that is not the sender's uploaded file), `.notFound`,
    ///   `.forbidden`, `.rateLimited`, `.unavailable` (attachments off).
    public func sendMessage(
        viewer: User, conversationId: UUID?, content: String, origin: MessageOrigin = .product, attachmentIds: [UUID] = [],
        source: MessageSource? = nil
    ) async throws -> Message {
        try await sendMessage(
            viewer: viewer, conversationId: conversationId, content: content, origin: origin, attachmentIds: attachmentIds, clientKey: nil,
            source: source
        ).message
    }

    /// A message sent, or found: ``replayed`` when an earlier send with the same client key made it.
    public struct SentMessage: Sendable, Equatable {
        public var message: Message
        public var replayed: Bool
    }

    /// Sends a message as ``sendMessage(viewer:conversationId:content:origin:attachmentIds:source:)`` does, once per
    /// `clientKey` (a `client_id` or `Idempotency-Key`, see ``ClientKey``): a send whose sender used the same key
    /// before makes nothing and answers with the first message (`replayed`), whatever relay or process made it, as long
    /// as that message exists. A replay takes nothing from the rate limits and delivers nothing again.
    /// - Throws: as the other form, and `.conflict` when the key was used for another message (other text, files or
    ///   conversation).
    public func sendMessage(
        viewer: User, conversationId: UUID?, content: String, origin: MessageOrigin = .product, attachmentIds: [UUID] = [],
        clientKey: String?, source: MessageSource? = nil
    ) async throws -> SentMessage {
        try Self.validateContent(content, hasAttachments: !attachmentIds.isEmpty)
        if viewer.isAdmin, conversationId == nil {
            throw ServiceError(.invalid, "conversation_id is required when an admin sends a message")
        }
        let replay = { @Sendable (db: PostgresConnection) throws -> SentMessage? in
            guard let clientKey, var first = try MessageRepository.find(db, senderId: viewer.id, clientKey: clientKey) else { return nil }
            // The text it was sent with, scalar for scalar (Swift's `==` would take another Unicode form of it as equal):
            // once the message was edited, the text before its first edit.
            let sent = first.editedAt == nil ? first.content : try MessageRepository.originalContent(db, id: first.id) ?? first.content
            guard sent.unicodeScalars.elementsEqual(content.unicodeScalars), conversationId.map({ $0 == first.conversationId }) ?? true,
                first.attachments.map(\.id) == attachmentIds
            else { throw ServiceError.clientKeyReused }
            // With the rights the sender has now (an admin since demoted may not see that conversation any more).
            _ = try Self.sendableConversation(db, id: first.conversationId, viewer: viewer, lock: false)
            // As it stands now: reacted to since, maybe.
            first.reactions = try ReactionRepository.reactions(db, messageIds: [first.id])[first.id] ?? []
            return SentMessage(message: first, replayed: true)
        }
        // A retry of a send with files: its files are no longer uploads waiting to be sent, and checking them would
        // refuse it; the first message answers it.
        if clientKey != nil, !attachmentIds.isEmpty, let first = try await pool.withConnection({ db in try replay(db) }) { return first }
        let rules = self.rules
        if !attachmentIds.isEmpty {
            // Before the store is asked about the files (a request each, and the first 256 KiB of an image): a send the
            // transaction would refuse anyway (a conversation not theirs, a full rate limit) is refused first.
            try await pool.withConnection { db in try Self.precheck(db, viewer: viewer, conversationId: conversationId, rules: rules) }
        }
        let files = try await checkedAttachments(attachmentIds, owner: viewer)
        let notifySlack = notifications.notifiesSlackWebhook
        let afterCommit = self.afterCommit
        let send = MessageSend(
            sender: viewer, conversationId: conversationId, content: content, origin: origin, attachments: files, clientKey: clientKey,
            source: source)
        return try await Self.mapContentError {
            // The usual case: one statement (rate limits included), committed on its own or with other senders' messages.
            if files.isEmpty, let inserted = try await sends.send(send) { return SentMessage(message: inserted.message, replayed: false) }
            // Telling why the statement above inserted nothing (the conversation is missing, not theirs, or held by
            // another transaction; a rate limit; the key used already), creating the user's conversation with its first
            // message, or a message with attachments.
            let sent = try await pool.withCommittedTransaction(
                then: { (sent: SendOutcome, db) in if case .inserted(let item) = sent { afterCommit([item], db) } }
            ) { db -> SendOutcome in
                let conversation: Conversation
                if let conversationId {
                    conversation = try Self.sendableConversation(db, id: conversationId, viewer: viewer, lock: true)
                } else {
                    conversation = try ConversationRepository.insertIfMissing(db, userId: viewer.id)
                }
                // The conversation is locked: a send with the same key into it has committed or waits behind this one.
                if let first = try replay(db) { return .replayed(first) }
                // Its files, once the key is known unused (a retry's files are attached to the first message already).
                let attach = files.isEmpty ? nil : try Self.attach(db, files, owner: viewer)
                if !viewer.isAdmin { try RateLimiter.take(db, sender: viewer.id, rules: rules) }
                var placed = send
                placed.conversationId = conversation.id
                let item = try Self.insertMessage(db, placed, notifySlack: notifySlack)
                try attach?(item)
                return .inserted(item)
            }
            switch sent {
            case .inserted(let item): return SentMessage(message: item.message, replayed: false)
            case .replayed(let first): return first
            }
        }
    }

    /// Refuses, as the send's transaction would, a send into a conversation that is missing or not the sender's, or by
    /// a user whose message rate limit is full; takes nothing.
    static func precheck(_ db: PostgresConnection, viewer: User, conversationId: UUID?, rules: MessagingRules) throws {
        if let conversationId { _ = try sendableConversation(db, id: conversationId, viewer: viewer, lock: false) }
        let windows = RateLimitRepository.windows(rules)
        guard !viewer.isAdmin, !windows.isEmpty else { return }
        let waits = try RateLimitRepository.waits(db, sender: viewer.id, windows: windows)
        if waits.contains(where: { $0 != nil }) { try RateLimiter.refuse(waits: waits, windows: windows) }
    }

    /// The conversation `id`, where `viewer` may send (theirs, or any for an admin); `lock` takes its row lock.
    /// - Throws: `.notFound` / `.forbidden` when it is missing or not theirs.
    static func sendableConversation(_ db: PostgresConnection, id: UUID, viewer: User, lock: Bool) throws -> Conversation {
        guard let found = try ConversationRepository.find(db, id: id, lock: lock) else { throw ServiceError.conversationNotFound }
        guard viewer.isAdmin || found.userId == viewer.id else { throw ServiceError.sendForbidden }
        return found
    }

    /// What the transaction of a send that was not batched did: inserted a message (delivered once committed), or
    /// found the one an earlier send with the same client key made.
    private enum SendOutcome: Sendable {
        case inserted(DeliverableMessage)
        case replayed(SentMessage)
    }

    /// Inserts a message where its sender may write (their own conversation, or any for an admin).
    /// - Throws: `.notFound` / `.forbidden` when the conversation is missing or not theirs.
    static func insertMessage(_ db: PostgresConnection, _ send: MessageSend, notifySlack: Bool) throws -> DeliverableMessage {
        if let inserted = try MessageRepository.insert(db, [send], notifySlack: notifySlack)[0] {
            return inserted
        }
        // Another conversation's send with the same key committed meanwhile.
        if let key = send.clientKey, try MessageRepository.find(db, senderId: send.sender.id, clientKey: key) != nil {
            throw ServiceError.clientKeyReused
        }
        guard let conversationId = send.conversationId, try ConversationRepository.find(db, id: conversationId) != nil else {
            throw ServiceError.conversationNotFound
        }
        throw ServiceError.sendForbidden
    }

    /// `body`, with a message too long or too short for the database reported as invalid content.
    static func mapContentError<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError where error.constraint == "messages_content_length" {
            // Only a message without attachments can break it by being empty.
            throw ServiceError.invalidContent
        }
    }

    /// Marks one message read by its recipient; a message already read keeps its first `read_at`.
    /// - Throws: `.notFound`, `.forbidden` for the sender's own message or someone else's conversation.
    public func markRead(viewer: User, messageId: UUID) async throws -> Message {
        try await pool.withTransaction { db in
            guard let message = try MessageRepository.find(db, id: messageId), message.deletedAt == nil else {
                throw ServiceError.messageNotFound
            }
            let conversation = try Self.accessibleConversation(db, id: message.conversationId, viewer: viewer)
            guard message.senderId != viewer.id else { throw ServiceError.readOwnMessage }
            guard conversation.isAddressed(from: message.senderId, to: viewer) else { throw ServiceError.readNotRecipient }
            guard let read = try MessageRepository.markRead(db, id: messageId) else {
                // Read or deleted by a transaction that committed after `find`: the answer is what it left.
                guard let current = try MessageRepository.find(db, id: messageId), current.deletedAt == nil else {
                    throw ServiceError.messageNotFound
                }
                return current
            }
            try DeliveryRepository.notify(db, [Self.readEvent(read, conversation: conversation, reader: viewer)])
            if viewer.isAdmin { try SlackThreadRepository.enqueueParentUpdate(db, conversationId: conversation.id) }
            return read
        }
    }

    /// How many of a conversation's newest messages reach back to the oldest one `viewer` has not read (0 when none).
    public func messagesSinceOldestUnread(viewer: User, conversationId: UUID) async throws -> Int {
        try await pool.withConnection { db in
            let conversation = try Self.accessibleConversation(db, id: conversationId, viewer: viewer)
            return try MessageRepository.countSinceOldestUnread(
                db, conversationId: conversationId, readByItsUser: conversation.userId == viewer.id)
        }
    }

    /// Marks read every unread message the viewer received in a conversation, or only `messageIds`.
    /// Returns the messages that changed. An admin's reading updates the conversation's Slack thread parent.
    public func bulkRead(viewer: User, conversationId: UUID, messageIds: [UUID]?) async throws -> [Message] {
        // As many as a `mark_read` frame may name: each is looked up, under the transaction's locks.
        guard (messageIds?.count ?? 0) <= ClientFrame.markReadLimit else {
            throw ServiceError(.invalid, "message_ids may hold at most \(ClientFrame.markReadLimit) message ids")
        }
        return try await pool.withTransaction { db in
            let conversation = try Self.accessibleConversation(db, id: conversationId, viewer: viewer)
            let read = try MessageRepository.markRead(
                db, conversationId: conversationId, readByItsUser: conversation.userId == viewer.id, ids: messageIds)
            try DeliveryRepository.notify(db, read.map { Self.readEvent($0, conversation: conversation, reader: viewer) })
            if viewer.isAdmin, !read.isEmpty { try SlackThreadRepository.enqueueParentUpdate(db, conversationId: conversationId) }
            return read
        }
    }

    static func readEvent(_ message: Message, conversation: Conversation, reader: User) -> RealtimeEvent {
        .read(
            messageId: message.id, conversationId: conversation.id, conversationUserId: conversation.userId,
            readAt: message.readAt ?? .now(), readBy: reader.id)
    }

    /// Replaces a message's content: its sender only, within the edit window.
    public func editMessage(viewer: User, messageId: UUID, content: String) async throws -> Message {
        try Self.validateContent(content)
        let (window, limits) = (rules.editWindow, rules.editRateWindows)
        return try await pool.withTransaction { db in
            guard let message = try MessageRepository.find(db, id: messageId), message.deletedAt == nil else {
                throw ServiceError.messageNotFound
            }
            // The sender too, with their rights as they are now: a former admin keeps no hold on the replies they wrote.
            let refusal = ServiceError(.forbidden, "Not authorized to edit this message")
            try Self.requireAccess(db, to: message, viewer: viewer, or: refusal)
            guard message.senderId == viewer.id else { throw refusal }
            let now = try MessageRepository.transactionTime(db)
            guard now.microsecondsSinceEpoch - message.createdAt.microsecondsSinceEpoch <= window * 1_000_000 else {
                throw ServiceError(.forbidden, "Cannot edit message after \(window / 60) minutes")
            }
            guard let edited = try MessageRepository.edit(db, id: messageId, content: content, by: viewer.id) else {
                throw ServiceError.messageNotFound
            }
            // Counted once the edit is sure to be made (the statement rolls back with a refusal).
            if !viewer.isAdmin, !limits.isEmpty { try RateLimiter.take(db, user: viewer.id, windows: limits, counting: ("edit", "edits")) }
            // The Slack thread's parent shows the conversation's first message.
            try SlackThreadRepository.enqueueParentUpdate(db, conversationId: message.conversationId, parent: messageId)
            return edited
        }
    }

    /// Checks that `viewer` may see `message`'s conversation now; a refusal is `refusal`, the operation's own answer
    /// (a message of someone else's conversation is refused as the operation is, not as the conversation would be).
    static func requireAccess(_ db: PostgresConnection, to message: Message, viewer: User, or refusal: ServiceError) throws {
        do {
            _ = try accessibleConversation(db, id: message.conversationId, viewer: viewer)
        } catch let error as ServiceError where error.kind == .forbidden {
            throw refusal
        }
    }

    /// Soft-deletes a message: its sender or an admin.
    public func deleteMessage(viewer: User, messageId: UUID) async throws {
        try await pool.withTransaction { db in
            guard let message = try MessageRepository.find(db, id: messageId), message.deletedAt == nil else {
                throw ServiceError.messageNotFound
            }
            let refusal = ServiceError(.forbidden, "Not authorized to delete this message")
            try Self.requireAccess(db, to: message, viewer: viewer, or: refusal)
            guard viewer.isAdmin || message.senderId == viewer.id else { throw refusal }
            guard try MessageRepository.softDelete(db, id: messageId, by: viewer.id) != nil else { throw ServiceError.messageNotFound }
            // The Slack thread's parent shows the unread count and the first message.
            try SlackThreadRepository.enqueueParentUpdate(db, conversationId: message.conversationId)
        }
    }

    /// The longest search query, in characters (Unicode scalars, as JSON Schema counts them): a query's cost grows with
    /// its words (an admin's, once per week of history it reads), and no one searches with more.
    public static let searchQueryLimit = 1_000

    /// The most words a search query may have: ranking and highlighting a match cost more with each word of the query
    /// (and with each word of the message), and a user chooses both.
    public static let searchWordLimit = 16

    /// Full-text search: an admin searches every conversation, a user only their own.
    public func search(viewer: User, query: String, options: SearchOptions) async throws -> (hits: [MessageSearchHit], total: SearchTotal) {
        guard !query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ServiceError(.invalid, "Search query required") }
        guard query.unicodeScalars.count <= Self.searchQueryLimit else {
            throw ServiceError(.invalid, "Search query too long: at most \(Self.searchQueryLimit) characters")
        }
        // Words as the parser finds them: runs of letters and digits (`or`, quotes and `-` included in the count's spirit).
        let words = query.unicodeScalars.split { !CharacterSet.alphanumerics.contains($0) }.count
        guard words <= Self.searchWordLimit else {
            throw ServiceError(.invalid, "Search query has too many words: at most \(Self.searchWordLimit)")
        }
        try Self.requireNoNul(query, "The search query")
        let scoped = options.storageFilter(viewer: viewer)
        do {
            return try await pool.withConnection { db in
                if let id = scoped.conversationId { _ = try Self.accessibleConversation(db, id: id, viewer: viewer) }
                return try MessageRepository.search(db, query: query, filter: scoped)
            }
        } catch is MessageRepository.SearchTooBroad {
            throw ServiceError(
                .invalid,
                "The search needs a word that every match has (only excluded words, or words joined by or with one, in more than \(MessageRepository.scopeScanLimit) messages)"
            )
        }
    }
}
