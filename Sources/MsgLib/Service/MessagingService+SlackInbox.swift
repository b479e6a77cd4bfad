import Foundation

extension MessagingService {
    /// Stores an Events API event in the inbox unless an event with the same id is there (Slack retries), in a
    /// transaction whose statements may take at most `statementTimeout`, so that a slow database is noticed while Slack
    /// still waits for the answer. Returns whether the event was new. It is stored with what it refers to
    /// (``SlackEventEnvelope/order``), so that it is handled after the events before it that it follows.
    package func acceptSlackEvent(eventId: String, payload: String, statementTimeout: Duration) async throws -> Bool {
        try Self.requireNoNul(payload, "The event")
        let order = (try? SlackEventEnvelope.parse(Array(payload.utf8)))?.order ?? SlackEventOrder()
        let milliseconds = max(1, Int(statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000))
        return try await pool.withTransaction { db in
            try db.setLocal([("statement_timeout", "\(milliseconds)ms")])
            return try SlackInboxRepository.insert(db, eventId: eventId, payload: payload, order: order)
        }
    }

    /// What handling one inbox event came to.
    package enum SlackInboxOutcome: Sendable, Equatable {
        /// No event was due.
        case idle
        /// The event became this message.
        case delivered(DeliverableMessage)
        /// The event changed a reaction on this message.
        case reacted(UUID)
        /// The event needed nothing, for this reason.
        case ignored(String)
        /// The database failed; the event is tried again later (or was given up after too many attempts).
        case deferred(String)
        /// What the event refers to is not known yet (a post whose round has not committed, a reply handled after a
        /// reaction on it): tried again shortly, for ``slackMappingWait`` after it was received, then ignored.
        case waiting(String)
    }

    /// How long an event may wait for the thread or post it refers to: an outbox round records a post only once
    /// Slack answered every call of the round (10 s at most), and two events may be handled out of order. A post
    /// recorded later still (Slack's answer lost, the post found by a later attempt) makes the events ignored meanwhile
    /// due again (``NotificationOutbox/recordThread(_:_:)``).
    static let slackMappingWait = 30.0

    /// The most attempts at one event before it is given up.
    static let slackInboxMaximumAttempts = 8

    /// Handles the oldest due inbox event, in one transaction with the row locked (`FOR UPDATE SKIP LOCKED`), so that
    /// an event is handled by one relay, once: the message it makes and the row's `done` commit together.
    ///
    /// A thread reply of a linked admin in a conversation's thread becomes that admin's message in the conversation,
    /// with the Slack origin (delivered live and pushed, never posted back to Slack); a linked admin's reaction on a
    /// mirrored message becomes that admin's reaction (never sent back to Slack). Anything else is marked `ignored`
    /// with the reason. A database failure rolls the event back to pending, due again after a backoff.
    package func handleNextSlackEvent() async throws -> SlackInboxOutcome {
        let notifySlack = notifications.notifiesSlackWebhook
        let reactionSettings = self.reactionSettings
        let afterCommit = self.afterCommit
        return try await pool.withCommittedTransaction(then: { outcome, db in
            if case .delivered(let message) = outcome { afterCommit([message], db) }
        }) { db -> SlackInboxOutcome in
            guard let event = try SlackInboxRepository.claimNext(db) else { return .idle }
            try db.execute("SAVEPOINT slack_event")
            do {
                let outcome = try Self.takeSlackEvent(db, event, notifySlack: notifySlack, reactionSettings: reactionSettings)
                switch outcome {
                case .delivered, .reacted: try SlackInboxRepository.finish(db, eventId: event.eventId, state: .done)
                case .ignored(let reason): try SlackInboxRepository.finish(db, eventId: event.eventId, state: .ignored, reason: reason)
                case .waiting(let reason):
                    // Looked at again more seldom as it ages (1 s, then a quarter of its age, 8 s at most).
                    try SlackInboxRepository.wait(db, eventId: event.eventId, in: min(8, max(1, event.age / 4)), reason: reason)
                case .idle, .deferred: break
                }
                return outcome
            } catch let error as ServiceError {
                try db.execute("ROLLBACK TO SAVEPOINT slack_event")
                try SlackInboxRepository.finish(db, eventId: event.eventId, state: .ignored, reason: error.message)
                return .ignored(error.message)
            } catch  where db.isAlive {
                try db.execute("ROLLBACK TO SAVEPOINT slack_event")
                let reason = (error as? DatabaseError)?.description ?? "\(type(of: error))"
                if event.attempts + 1 >= Self.slackInboxMaximumAttempts {
                    try SlackInboxRepository.finish(
                        db, eventId: event.eventId, state: .failed, reason: "gave up after \(event.attempts + 1) attempts; last: \(reason)")
                } else {
                    try SlackInboxRepository.retry(db, eventId: event.eventId, in: min(300, 2 * pow(2, Double(event.attempts))), error: reason)
                }
                return .deferred(reason)
            }
        }
    }

    /// The message an inbox event makes, or why it makes none.
    static func takeSlackEvent(
        _ db: PostgresConnection, _ event: SlackInboxEvent, notifySlack: Bool, reactionSettings: ReactionSettings
    ) throws -> SlackInboxOutcome {
        let envelope: SlackEventEnvelope
        do {
            envelope = try SlackEventEnvelope.parse(Array(event.payload.utf8))
        } catch {
            return .ignored(error.message)
        }
        // A reference not found yet may be one not committed yet: waited for while the event is young.
        let young = event.age < slackMappingWait
        func missing(_ reason: String) -> SlackInboxOutcome { young ? .waiting(reason) : .ignored(reason) }
        switch envelope.reactionChange() {
        case .success(let change)?:
            let outcome = try takeSlackReaction(db, change, settings: reactionSettings)
            if case .ignored(let reason) = outcome, reason == SlackInboxReason.unknownPost { return missing(reason) }
            return outcome
        case .failure(let reason)?: return .ignored(reason.description)
        case nil: break
        }
        let reply: SlackReplyEvent
        switch envelope.threadReply() {
        case .success(let found): reply = found
        case .failure(let reason): return .ignored(reason.description)
        }
        guard let admin = try linkedAdmin(db, slackUserId: reply.slackUserId) else {
            return .ignored("Slack user \(reply.slackUserId) is not linked to an admin")
        }
        guard let conversationId = try SlackThreadRepository.conversation(db, channelId: reply.channelId, threadTs: reply.threadTs) else {
            return missing(SlackInboxReason.notAThread)
        }
        // The same Slack message under another event id (an app installed on both sides of a shared channel): once.
        if let ts = reply.ts, try SlackPostRepository.message(db, channelId: reply.channelId, ts: ts) != nil {
            return .ignored("Slack message \(ts) was taken in already")
        }
        let content = slackContent(reply.text)
        try validateContent(content)
        let message = try mapContentErrorNow {
            try insertMessage(
                db, MessageSend(sender: admin, conversationId: conversationId, content: content, origin: .slack, source: .slack),
                notifySlack: notifySlack)
        }
        if let ts = reply.ts {
            try SlackPostRepository.insert(db, SlackMessagePost(messageId: message.message.id, channelId: reply.channelId, ts: ts))
        }
        return .delivered(message)
    }

    /// The content of a message written in Slack: plain text (``SlackMrkdwn``), without the white space around it,
    /// cut with an ellipsis to the most characters a message holds (a Slack message may hold four times as many).
    static func slackContent(_ mrkdwn: String) -> String {
        let text = SlackMrkdwn.plainText(mrkdwn).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.unicodeScalars.count > Message.maximumLength else { return text }
        var out = ""
        var count = 0
        for character in text {
            let size = character.unicodeScalars.count
            guard count + size <= Message.maximumLength - 1 else { break }
            out.append(character)
            count += size
        }
        return out + "…"
    }

    /// `body`, with a message too long or too short for the database reported as invalid content (the synchronous
    /// form of ``mapContentError(_:)``).
    static func mapContentErrorNow<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where error.constraint == "messages_content_length" {
            throw ServiceError.invalidContent
        }
    }

    /// Seconds until the next inbox event is due (0 or less: now), nil when none is pending.
    package func secondsUntilNextSlackEvent() async throws -> Double? {
        try await pool.withConnection { db in try SlackInboxRepository.secondsUntilNextDue(db) }
    }

    /// Deletes inbox events handled more than `age` seconds ago; returns how many.
    @discardableResult
    package func pruneSlackInbox(olderThan age: Double) async throws -> Int {
        try await pool.withConnection { db in try SlackInboxRepository.prune(db, olderThan: age) }
    }
}
