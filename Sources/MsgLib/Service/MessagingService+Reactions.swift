import Foundation

extension MessagingService {
    /// What a reaction request did, and the message's reactions after it.
    public struct ReactionOutcome: Sendable, Equatable {
        /// False when there was nothing to do (added already, or not there to remove).
        public var changed: Bool
        public var reactions: [MessageReaction]
    }

    /// Adds (`add`) or removes a reaction of `viewer` on a visible message of a conversation they may see. Idempotent:
    /// adding one that is there, or removing one that is not, changes nothing and takes nothing from the rate limit.
    /// A change is delivered to the conversation's user and the admins on every relay (``ReactionChange``), and, with
    /// `NOTIFY_REACTIONS=1`, pushed to the other side.
    /// - Throws: `.invalid` (not one emoji, a 21st kind), `.notFound` (no such message, or deleted), `.forbidden` (another
    ///   user's conversation), `.rateLimited`.
    public func react(viewer: User, messageId: UUID, emoji text: String, add: Bool) async throws -> ReactionOutcome {
        guard let emoji = ReactionEmoji(text) else { throw ServiceError.invalidReaction }
        let settings = reactionSettings
        return try await pool.withTransaction { db in
            try Self.react(db, viewer: viewer, messageId: messageId, emoji: emoji, add: add, fromSlack: false, settings: settings)
        }
    }

    /// What the reaction rules take from the service's configuration.
    struct ReactionSettings: Sendable {
        var window: RateLimitRepository.Window?
        /// Whether an added reaction is pushed to the other side (`NOTIFY_REACTIONS=1`).
        var notify: Bool
    }

    var reactionSettings: ReactionSettings { ReactionSettings(window: rules.reactionWindow, notify: notifications.notifyReactions) }

    /// ``react(viewer:messageId:emoji:add:)`` in the caller's transaction. In app mode, the first reaction with an emoji
    /// Slack has a name for, and the removal of the last, are mirrored to the message's Slack post, unless the change
    /// came from Slack (`fromSlack`, also recorded with an added reaction, which then does not count).
    static func react(
        _ db: PostgresConnection, viewer: User, messageId: UUID, emoji: ReactionEmoji, add: Bool, fromSlack: Bool, settings: ReactionSettings
    ) throws -> ReactionOutcome {
        guard let message = try ReactionRepository.lockMessage(db, id: messageId), !message.deleted else {
            throw ServiceError.messageNotFound
        }
        guard viewer.isAdmin || message.conversationUserId == viewer.id else { throw ServiceError.conversationForbidden }
        let changed: Bool
        if add {
            switch try ReactionRepository.add(
                db, messageId: messageId, userId: viewer.id, emoji: emoji.text, maximumKinds: MessageReaction.maximumKinds, fromSlack: fromSlack)
            {
            case .added: changed = true
            case .present: changed = false
            case .full: throw ServiceError.tooManyReactionKinds
            }
        } else {
            // From Slack, only what came from Slack: a linked admin's reaction made in the product (shown in Slack by
            // the bot's) stays, as their adding it in Slack changed nothing.
            changed = try ReactionRepository.remove(db, messageId: messageId, userId: viewer.id, emoji: emoji.text, onlyFromSlack: fromSlack)
        }
        if changed {
            if !viewer.isAdmin, let window = settings.window {
                try RateLimiter.take(db, user: viewer.id, window: window, counting: ("reaction", "reactions"))
            }
            try ReactionRepository.recordChange(
                db, messageId: messageId, conversationId: message.conversationId, userId: viewer.id, emoji: emoji.text, added: add)
            var events: [RealtimeEvent] = [.reaction(messageId: messageId, conversationId: message.conversationId)]
            if settings.notify && add,
                try OutboxRepository.enqueueReactionPush(
                    db, messageId: messageId, conversationUserId: message.conversationUserId, reactor: viewer, emoji: emoji.text) > 0
            {
                events.append(.outbox)
            }
            // The bot's reaction in Slack stands for everyone's in the product: it changes with the first and the last.
            if !fromSlack, SlackEmojiName.name(forEmoji: emoji.text) != nil,
                try ReactionRepository.countInProduct(db, messageId: messageId, emoji: emoji.text) == (add ? 1 : 0)
            {
                try SlackPostRepository.enqueueReaction(
                    db, messageId: messageId, conversationId: message.conversationId, emoji: emoji.text, added: add, reactorId: viewer.id)
            }
            try DeliveryRepository.notify(db, events)
        }
        let reactions = try ReactionRepository.reactions(db, messageIds: [messageId])[messageId] ?? []
        return ReactionOutcome(changed: changed, reactions: reactions)
    }

    /// The reactions of the messages among `ids` that have any.
    public func reactions(messageIds: [UUID]) async throws -> [UUID: [MessageReaction]] {
        try await pool.withConnection { db in try ReactionRepository.reactions(db, messageIds: messageIds) }
    }

    /// The last reaction changes of a relay's batch: in `upTo`, not in `since` (see ``CommitSnapshot``), with each
    /// message's reactions as they stand; and the clock of the oldest change that waits for a later batch (ahead of
    /// `upTo`'s clock). At most `limit` changes: nil when more were committed.
    package static func committedReactionChanges(
        on db: PostgresConnection, since: CommitSnapshot, upTo: CommitSnapshot, limit: Int
    ) throws -> (changes: [ReactionChange], waiting: Int64?)? {
        try ReactionRepository.committedChanges(db, since: since, upTo: upTo, limit: limit)
    }

    /// What a client at a cursor whose batch began at `since` may lack of the reactions in the conversations `viewer`
    /// sees, up to the snapshot `upTo` where its socket joined the live stream: the last change of every message whose
    /// reactions changed in between, with its reactions as they stand; at most `limit` (`truncated` beyond).
    public func reactionChanges(
        viewer: User, since: CommitSnapshot, upTo: CommitSnapshot?, limit: Int
    ) async throws -> (changes: [ReactionChange], truncated: Bool) {
        let changes = try await pool.withConnection { db in
            let upTo = try upTo ?? DeliveryRepository.currentSnapshot(db)
            return try ReactionRepository.changes(db, since: since, upTo: upTo, viewer: viewer, limit: limit + 1)
        }
        return (Array(changes.prefix(limit)), changes.count > limit)
    }
}

extension ServiceError {
    static let invalidReaction = ServiceError(.invalid, ReactionEmoji.invalidMessage)
    static let tooManyReactionKinds = ServiceError(
        .invalid, "A message may have at most \(MessageReaction.maximumKinds) different reactions")
}
