import Foundation

/// The rules of messaging, in one place: who may see, send, read, edit and delete what.
///
/// REST handlers, WebSocket frames and msgctl commands all call this service; none of them repeats a rule.
/// Every method runs its database work on the pool's threads, in one transaction where it writes.
public struct MessagingService: Sendable {
    public let pool: DatabasePool
    public let rules: MessagingRules
    let tokens: JWTSigner?
    /// What follows the commit of messages this process created, on the connection that committed them, called with
    /// every message of the transaction: the relay's `localDelivery`, or else a NOTIFY that wakes every relay (msgctl). Announcing after
    /// the commit, rather than in the inserting transaction, keeps PostgreSQL's notification lock out of the commit; an
    /// announcement that fails costs at most the relays' periodic sweep (a second), never the message.
    let afterCommit: @Sendable ([DeliverableMessage], PostgresConnection) -> Void
    /// Writes concurrent sends together (one statement, one commit).
    package let sends: SendBatcher
    /// Push and Slack settings: which notifications are queued with a message, and how tests are sent.
    public let notifications: NotificationConfiguration
    /// Sends push tests at once (queued notifications leave through the ``OutboxWorker``).
    let notifier: Notifier
    /// Where attachments are stored and what is accepted; nil when they are off (`ATTACHMENT_STORE` unset).
    package var attachments: AttachmentSupport?
    /// Users are kept only while a relay's listener hears their changes (``followUserChanges(_:)``).
    let users = UserCache(followed: false)
    let verifiedTokens = VerifiedTokenCache()

    /// - Parameters:
    ///   - pool: the database.
    ///   - rules: rate limits and the edit window.
    ///   - jwtSecret: the secret that verifies bearer tokens; nil where nothing authenticates (msgctl).
    ///   - localDelivery: called once the messages this process creates are committed, with every message of the
    ///     transaction (the connection that committed them may be writing the next batch meanwhile); it then announces
    ///     them to the relays itself.
    ///   - notifications: push and Slack settings (a Slack notice is queued with a user's message only when a
    ///     webhook is configured).
    ///   - notifier: what sends test notifications; by default one made from `notifications`. A relay passes the
    ///     one its outbox worker uses, so that both share HTTP connections.
    ///   - writer: where batches of sends are written (by default `pool`); a relay passes a pool of one connection
    ///     that uses generic plans (see ``DatabaseConfiguration/writer``).
    package init(
        pool: DatabasePool, rules: MessagingRules = MessagingRules(), jwtSecret: String? = nil,
        notifications: NotificationConfiguration = NotificationConfiguration(), notifier: Notifier? = nil, writer: DatabasePool? = nil,
        localDelivery: (@Sendable ([DeliverableMessage]) -> Void)?
    ) {
        self.pool = pool
        self.rules = rules
        self.tokens = jwtSecret.map(JWTSigner.init(secret:))
        self.notifications = notifications
        self.notifier = notifier ?? Notifier(configuration: notifications)
        let afterCommit: @Sendable ([DeliverableMessage], PostgresConnection) -> Void
        if let localDelivery {
            afterCommit = { items, _ in localDelivery(items) }
        } else {
            afterCommit = { items, db in
                if let last = items.last { try? DeliveryRepository.announce(db, last) }
            }
        }
        self.afterCommit = afterCommit
        let windows = RateLimitRepository.windows(rules)
        let notifySlack = notifications.notifiesSlackWebhook
        // One batch at a time: the sends that arrive meanwhile make the next one (measured faster than several at once).
        // A relay delivers a batch's messages while the next one is written; elsewhere the announcement needs the
        // connection, so it is made before the next batch starts.
        let write = SendBatcher.Write(
            start: { db, sends in
                let statement = MessageRepository.insertStatement(sends, notifySlack: notifySlack, limits: windows, skipLocked: true)
                try db.send(statement.sql, statement.parameters)
            },
            finish: { db, sends in
                let messages = try MessageRepository.inserted(db.receive(), for: sends)
                let committed = messages.compactMap { $0 }
                if localDelivery == nil, !committed.isEmpty { afterCommit(committed, db) }
                return messages
            },
            committed: { messages in localDelivery?(messages) })
        self.sends = SendBatcher(
            maxInFlight: writer?.configuration.poolSize ?? 1, writer: .pool(writer ?? pool), others: .pool(pool), write: write)
    }

    /// A service for a process that delivers nothing itself (msgctl, tools): each message it creates is announced to
    /// the relays after its commit. The parameters are those of the initializer above.
    public init(
        pool: DatabasePool, rules: MessagingRules = MessagingRules(), jwtSecret: String? = nil,
        notifications: NotificationConfiguration = NotificationConfiguration(), notifier: Notifier? = nil
    ) {
        self.init(pool: pool, rules: rules, jwtSecret: jwtSecret, notifications: notifications, notifier: notifier, localDelivery: nil)
    }

    /// The user a bearer token names.
    /// - Throws: ``AuthError`` for a missing, malformed, badly signed or expired token, or an unknown user.
    public func authenticate(token: String?) async throws -> User {
        try await authenticateUntil(token: token).user
    }

    /// The user a bearer token names, and when the token expires (seconds since the epoch).
    /// - Throws: ``AuthError`` as ``authenticate(token:)``.
    package func authenticateUntil(token: String?) async throws -> (user: User, expires: Int64) {
        guard let token, !token.isEmpty else { throw AuthError.missingToken }
        guard let tokens else { throw AuthError.badSignature }
        let claims = try verifiedTokens.claims(token) { (token) throws(AuthError) in try tokens.verify(token) }
        guard let id = UUID(uuidString: claims.sub) else { throw AuthError.malformedToken }
        guard let user = try await currentUser(id) else { throw AuthError.unknownUser }
        return (user, claims.exp)
    }

    /// User `id` as stored now (a change reaches the cache as soon as the relay hears of it), nil when deleted.
    package func currentUser(_ id: UUID) async throws -> User? {
        let pool = self.pool
        return try await users.user(id, load: { try await pool.withConnection { db in try UserRepository.find(db, id: id) } })
    }

    /// The users among `ids` as stored now, read from the database (for re-checking sockets after missed changes).
    package func currentUsers(_ ids: [UUID]) async throws -> [UUID: User] {
        let users = try await pool.withConnection { db in try UserRepository.find(db, ids: ids) }
        return Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Forgets what is cached of user `id` (it changed), or of every user (changes may have been missed).
    package func forgetUser(_ id: UUID?) {
        if let id { users.forget(id) } else { users.forgetAll() }
    }

    /// Forgets the ids cached as unknown (users were created: one of them may be among those ids).
    package func forgetUnknownUsers() {
        users.forgetUnknown()
    }

    /// Whether changes to users reach this process (a relay's listener is connected and listening): only then are
    /// users cached, so a change made while the listener is down takes effect at the next request, not minutes later.
    package func followUserChanges(_ followed: Bool) {
        users.follow(followed)
    }

    // MARK: - Access rules

    /// The conversation `id` if `viewer` may see it: admins see all, a user only their own.
    static func accessibleConversation(_ db: PostgresConnection, id: UUID, viewer: User) throws -> Conversation {
        guard let conversation = try ConversationRepository.find(db, id: id) else { throw ServiceError.conversationNotFound }
        guard viewer.isAdmin || conversation.userId == viewer.id else { throw ServiceError.conversationForbidden }
        return conversation
    }

    static func requireAdmin(_ viewer: User) throws {
        guard viewer.isAdmin else { throw ServiceError.adminRequired }
    }

    static func validateContent(_ content: String, hasAttachments: Bool = false) throws {
        guard Message.isValidContent(content, hasAttachments: hasAttachments) else {
            throw hasAttachments ? ServiceError.invalidContentWithAttachments : ServiceError.invalidContent
        }
        try requireNoNul(content, "Content")
    }

    /// Refuses text PostgreSQL cannot store (`text` cannot hold U+0000), naming it as `what`.
    static func requireNoNul(_ text: String, _ what: String) throws {
        guard !text.utf8.contains(0) else { throw ServiceError(.invalid, "\(what) must not contain NUL characters") }
    }
}
