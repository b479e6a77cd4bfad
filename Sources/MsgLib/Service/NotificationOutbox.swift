import Foundation

/// The notification outbox as the worker that empties it sees it: due jobs to claim, and what became of each.
///
/// Every call runs on the worker's own connection; those that change jobs belong inside the transaction in which
/// the jobs were claimed, so that the claim's row locks hold until the outcomes are recorded.
package struct NotificationOutbox: Sendable {
    /// The kinds of job this worker can send.
    package let kinds: [OutboxJob.Kind]
    /// First attempts, retries, or both.
    package let lane: OutboxLane

    package init(kinds: [OutboxJob.Kind], lane: OutboxLane = .all) {
        self.kinds = kinds
        self.lane = lane
    }

    /// This outbox without the Slack app kinds: what a worker claims while it cannot open the stored installation.
    package var withoutSlackApp: NotificationOutbox {
        NotificationOutbox(kinds: kinds.filter { !OutboxJob.Kind.slackApp.contains($0) }, lane: lane)
    }

    /// Locks and returns up to `limit` due jobs, oldest first, skipping those another worker holds.
    package func claimDue(_ db: PostgresConnection, limit: Int) throws -> [OutboxJob] {
        try OutboxRepository.claimDue(db, kinds: kinds, lane: lane, limit: limit)
    }

    /// Seconds until the next job is due (0 or less when one is due now), nil when none is waiting.
    package func secondsUntilNextDue(_ db: PostgresConnection) throws -> Double? {
        try OutboxRepository.secondsUntilNextDue(db, kinds: kinds, lane: lane)
    }

    /// The jobs waiting (every kind, every worker's), and the age of the oldest due one.
    package func backlog(_ db: PostgresConnection) throws -> OutboxBacklog {
        try OutboxRepository.backlog(db)
    }

    /// Removes the jobs that are done and records a successful delivery to each subscription in `used`.
    package func finish(_ db: PostgresConnection, done: [Int64], used: [UUID]) throws {
        try OutboxRepository.delete(db, ids: done)
        try PushSubscriptionRepository.touch(db, ids: used)
    }

    /// Records the Slack thread a job's parent post started (a thread recorded already is kept).
    /// Events that came from Slack for it and were ignored because it was not known yet are handled again: a thread is
    /// recorded late when Slack's answer to the post was lost and a later attempt found the post.
    package func recordThread(_ db: PostgresConnection, _ thread: SlackThread) throws {
        try SlackThreadRepository.insert(db, thread)
        try SlackInboxRepository.reopen(
            db, following: SlackEventOrder.threadKey(channelId: thread.channelId, threadTs: thread.threadTs),
            ignoredAs: SlackInboxReason.notAThread)
    }

    /// Records the Slack message a job posted for its message (one recorded already is kept); reactions on it ignored
    /// because it was not known yet are handled again (as for ``recordThread(_:_:)``).
    package func recordPost(_ db: PostgresConnection, _ post: SlackMessagePost) throws {
        try SlackPostRepository.insert(db, post)
        try SlackInboxRepository.reopen(
            db, following: SlackEventOrder.postKey(channelId: post.channelId, ts: post.ts), ignoredAs: SlackInboxReason.unknownPost)
    }

    /// Queues an update of a conversation's Slack parent message (coalesced with one already waiting).
    package func refreshSlackParent(_ db: PostgresConnection, conversationId: UUID) throws {
        try SlackThreadRepository.enqueueParentUpdate(db, conversationId: conversationId)
    }

    /// Holds every job of `kind` for `seconds` (within 0 and ``RetryPolicy/longestDelay``), as a `Retry-After` asks.
    package func hold(_ db: PostgresConnection, kind: OutboxJob.Kind, seconds: Double) throws {
        try OutboxRepository.hold(db, kind: kind, seconds: RetryPolicy.bounded(seconds, upTo: RetryPolicy.longestDelay))
    }

    /// Deletes a subscription the push service says is gone.
    package func removeSubscription(_ db: PostgresConnection, id: UUID) throws {
        _ = try PushSubscriptionRepository.delete(db, id: id)
    }

    /// Counts a failed attempt and makes the job due again in `delay` seconds (within 0 and
    /// ``RetryPolicy/longestDelay``, whatever is asked: a value PostgreSQL cannot add to a timestamp would fail
    /// the round's transaction).
    package func retry(_ db: PostgresConnection, job: Int64, in delay: Double, error: String) throws {
        try OutboxRepository.retry(db, id: job, in: RetryPolicy.bounded(delay, upTo: RetryPolicy.longestDelay), error: Self.storable(error))
    }

    /// Gives a job up for good, recording why.
    package func fail(_ db: PostgresConnection, job: Int64, error: String) throws {
        try OutboxRepository.fail(db, id: job, error: Self.storable(error))
    }

    /// A reason as `last_error` can hold it, whatever a push service or Slack put in it: no NUL (PostgreSQL text
    /// cannot store one), at most 1,000 characters.
    static func storable(_ reason: String) -> String {
        let cleaned = reason.contains("\u{0}") ? reason.replacingOccurrences(of: "\u{0}", with: " ") : reason
        return cleaned.count <= 1000 ? cleaned : String(cleaned.prefix(999)) + "…"
    }
}
