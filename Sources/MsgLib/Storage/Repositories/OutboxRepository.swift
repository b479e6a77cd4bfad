import Foundation

/// One notification waiting in the outbox, with what it takes to send it.
package struct OutboxJob: Sendable, Equatable {
    /// What the notification is.
    package enum Kind: String, Sendable, CaseIterable {
        /// A Web Push message to one subscription.
        case push
        /// A Slack incoming-webhook notice.
        case slack
        /// Slack app mode: a message posted with `chat.postMessage`, as its conversation's thread parent when the
        /// conversation has no thread yet, otherwise as a reply in the thread.
        case slackPost = "slack_post"
        /// Slack app mode: the conversation's parent message rewritten with `chat.update` (unread count, archived).
        case slackUpdate = "slack_update"
        /// Slack app mode: the bot's reaction on a message's Slack post set (`reactions.add` / `reactions.remove`) as
        /// the message's reactions stand when the job leaves.
        case slackReaction = "slack_reaction"

        /// The kinds sent to Slack's Web API.
        package static let slackApp: [Kind] = [.slackPost, .slackUpdate, .slackReaction]
    }

    package var id: Int64
    package var kind: Kind
    package var attempts: Int
    /// Whether a round began to send it, whether or not that round recorded an attempt (``OutboxRepository/markBegun(_:ids:)``).
    package var begun: Bool = false
    package var createdAt: Timestamp
    package var lastError: String?
    /// The message announced; its content is read when the job is sent, so an edit is reflected.
    package var message: Message
    /// The conversation's user (the one who wrote, for a Slack notice).
    package var conversationUser: User
    /// Whether the message is the conversation's user's (for the admins), not an admin's reply.
    package var isFromConversationUser: Bool { message.senderId == conversationUser.id }
    /// The subscription a push job goes to.
    package var subscription: PushSubscription?
    /// What a Slack app job needs beyond the message (nil for other kinds).
    package var slack: SlackJobContext? = nil
    /// The reaction the job is about, when it is about one rather than about its message.
    package var reaction: OutboxReaction? = nil
}

/// The outbox's backlog: the jobs waiting to be sent (not given up), by kind, and how long the oldest due one has been due.
package struct OutboxBacklog: Sendable, Equatable {
    package var pending: [OutboxJob.Kind: Int] = [:]
    /// Seconds since the oldest due job became due; nil when no job is due.
    package var oldestDueSeconds: Double?

    package init(pending: [OutboxJob.Kind: Int] = [:], oldestDueSeconds: Double? = nil) {
        self.pending = pending
        self.oldestDueSeconds = oldestDueSeconds
    }
}

/// What a Slack app job (``OutboxJob/Kind/slackPost``, ``OutboxJob/Kind/slackUpdate``) is sent with, read when it
/// is claimed.
package struct SlackJobContext: Sendable, Equatable {
    /// Who wrote the job's message.
    package var sender: User
    /// The conversation's thread, nil while none was posted.
    package var thread: SlackThread?
    /// Messages from the user the admin has not read.
    package var unreadCount: Int
    package var archived: Bool
    /// The Slack message of the job's message, nil while it has none.
    package var post: SlackMessagePost? = nil
    /// For a reaction job: whether the bot's reaction should be there, that is whether someone reacted so in the
    /// product (reactions that came from Slack do not count).
    package var reactionWanted = false
}

/// A job given up, for `msgctl` and the tests.
package struct FailedOutboxJob: Sendable, Equatable {
    package var id: Int64
    package var kind: OutboxJob.Kind
    package var messageId: UUID
    package var attempts: Int
    package var failedAt: Timestamp
    package var lastError: String
}

/// The `notification_outbox` table. Jobs are written with their message (``MessageRepository/insert(_:conversationId:sender:content:notifySlack:)``),
/// claimed by workers with `FOR NO KEY UPDATE SKIP LOCKED`, and deleted once delivered.
package enum OutboxRepository {
    /// Locks and returns up to `limit` due jobs of `kinds`, oldest first, skipping jobs another worker holds.
    /// The locks last until the caller's transaction ends.
    ///
    /// The jobs are chosen and locked first, from the outbox alone (its due index, in order, stopping at `limit`),
    /// and only those are joined to their message, user and subscription: joining first would join and sort the
    /// whole due backlog in every round (docs/BENCHMARKS.md, Web Push).
    ///
    /// A job that names a conversation (Slack app mode) is claimed only when no earlier job of that conversation is
    /// waiting: a conversation's Slack posts leave one after another, in order, so a reply never overtakes the
    /// parent that starts its thread.
    package static func claimDue(_ db: PostgresConnection, kinds: [OutboxJob.Kind], lane: OutboxLane = .all, limit: Int) throws -> [OutboxJob] {
        try db.query(
            """
            WITH claimed AS MATERIALIZED (
                SELECT id FROM notification_outbox o
                WHERE failed_at IS NULL AND available_at <= now() AND kind = ANY($1::text[]) AND \(notHeld) AND \(inTurn)
                  AND \(lane.condition)
                ORDER BY available_at, id
                LIMIT $2
                FOR NO KEY UPDATE SKIP LOCKED
            )
            SELECT o.id AS job_id, o.kind, o.attempts, o.created_at AS job_created_at, o.last_error,
                   EXISTS (SELECT 1 FROM outbox_sends_begun b WHERE b.job_id = o.id) AS o_begun,
                   m.id, m.conversation_id, m.sender_id, m.content, m.created_at, m.read_at, m.edited_at, m.deleted_at, m.attachments,
                   \(User.columns("u", prefix: "u_")),
                   p.id AS p_id, p.user_id AS p_user_id, p.endpoint AS p_endpoint, p.p256dh_key AS p_p256dh_key,
                   p.auth_key AS p_auth_key, p.created_at AS p_created_at, p.last_used_at AS p_last_used_at,
                   c.unread_count_admin AS c_unread, c.archived_by_admin AS c_archived, \(User.columns("s", prefix: "s_")),
                   t.conversation_id AS t_conversation_id, t.channel_id AS t_channel_id, t.thread_ts AS t_thread_ts,
                   t.parent_ts AS t_parent_ts, t.parent_message_id AS t_parent_message_id,
                   o.reaction AS o_reaction, o.reaction_added AS o_reaction_added, \(User.columns("r", prefix: "r_")),
                   sp.channel_id AS sp_channel_id, sp.ts AS sp_ts,
                   CASE WHEN o.kind = 'slack_reaction' THEN EXISTS (
                       SELECT 1 FROM message_reactions mr WHERE mr.message_id = o.message_id AND mr.emoji = o.reaction AND NOT mr.from_slack)
                   END AS o_reaction_wanted,
                   CASE WHEN o.kind = 'push' AND o.reaction IS NOT NULL THEN EXISTS (
                       SELECT 1 FROM message_reactions mr WHERE mr.message_id = o.message_id AND mr.emoji = o.reaction AND mr.user_id = o.reactor_id)
                   END AS o_reaction_present
            FROM claimed
            JOIN notification_outbox o ON o.id = claimed.id
            JOIN messages m ON m.id = o.message_id
            JOIN conversations c ON c.id = m.conversation_id
            JOIN users u ON u.id = c.user_id
            JOIN users s ON s.id = m.sender_id
            LEFT JOIN push_subscriptions p ON p.id = o.subscription_id
                -- Still entitled to the conversation: its user, or an admin now (one demoted meanwhile gets no more).
                AND (p.user_id = c.user_id OR EXISTS (SELECT 1 FROM users pu WHERE pu.id = p.user_id AND pu.is_admin))
            LEFT JOIN slack_threads t ON t.conversation_id = o.conversation_id
            LEFT JOIN users r ON r.id = o.reactor_id
            LEFT JOIN slack_posts sp ON sp.message_id = o.message_id AND o.kind = 'slack_reaction'
            ORDER BY o.available_at, o.id
            """, [kinds.map(\.rawValue), limit]
        ).map { row throws(DatabaseError) in
            let subscriptionId: UUID? = try row.decode("p_id")
            let kind = OutboxJob.Kind(rawValue: try row.decode("kind")) ?? .push
            var slack: SlackJobContext?
            if OutboxJob.Kind.slackApp.contains(kind) {
                let threadId: UUID? = try row.decode("t_conversation_id")
                let postChannel: String? = try row.decode("sp_channel_id")
                let messageId: UUID = try row.decode("id")
                slack = SlackJobContext(
                    sender: try User(row: row, prefix: "s_"),
                    thread: try threadId.map { _ throws(DatabaseError) in try SlackThread(row: row, prefix: "t_") },
                    unreadCount: try row.decode("c_unread"), archived: try row.decode("c_archived"),
                    post: try postChannel.map { channel throws(DatabaseError) in
                        SlackMessagePost(messageId: messageId, channelId: channel, ts: try row.decode("sp_ts"))
                    },
                    reactionWanted: try row.decode("o_reaction_wanted", as: Bool?.self) ?? false)
            }
            return OutboxJob(
                id: try row.decode("job_id"),
                kind: kind,
                attempts: try row.decode("attempts"),
                begun: try row.decode("o_begun"),
                createdAt: try row.decode("job_created_at"),
                lastError: try row.decode("last_error"),
                message: try Message(row: row),
                conversationUser: try User(row: row, prefix: "u_"),
                subscription: try subscriptionId.map { _ throws(DatabaseError) in try PushSubscription(row: row, prefix: "p_") },
                slack: slack, reaction: try OutboxReaction(row: row))
        }
    }

    /// The condition that a job `o` is in its turn: it names no conversation, or no earlier job of its conversation
    /// is waiting (given up ones do not count).
    static let inTurn = """
        (o.conversation_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM notification_outbox e
            WHERE e.conversation_id = o.conversation_id AND e.id < o.id AND e.failed_at IS NULL))
        """

    /// The jobs `o`, each with the hold `h` of its kind when there is one (``hold(_:kind:seconds:)``).
    static let jobsWithHolds = "notification_outbox o LEFT JOIN outbox_holds h ON h.kind = o.kind"

    /// When a job of ``jobsWithHolds`` is due: its own time, or the end of its kind's hold when that is later. A held
    /// job is not late: it waits as Slack asked.
    static let dueAt = "greatest(o.available_at, h.until)"

    /// The condition that a job `o`'s kind is not held (``hold(_:kind:seconds:)``).
    static let notHeld = "NOT (o.kind = ANY (SELECT h.kind FROM outbox_holds h WHERE h.until > now()))"

    /// Holds every job of `kind` (due or not, on every relay, queued now or later) until `seconds` from now, or longer
    /// when a hold already runs later.
    package static func hold(_ db: PostgresConnection, kind: OutboxJob.Kind, seconds: Double) throws {
        try db.query(
            """
            INSERT INTO outbox_holds (kind, until) VALUES ($1, clock_timestamp() + make_interval(secs => $2))
            ON CONFLICT (kind) DO UPDATE SET until = greatest(outbox_holds.until, EXCLUDED.until)
            """, [kind.rawValue, seconds])
    }

    /// Records that a round begins to send jobs `ids`, on a connection other than the round's, outside its transaction
    /// (it holds the jobs with `FOR NO KEY UPDATE`, which lets this row's foreign key be checked): if the round never
    /// commits, the next one knows the requests may have been made.
    package static func markBegun(_ db: PostgresConnection, ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try db.query("INSERT INTO outbox_sends_begun (job_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING", [ids])
    }

    /// Removes delivered (or moot) jobs.
    package static func delete(_ db: PostgresConnection, ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try db.query("DELETE FROM notification_outbox WHERE id = ANY($1::bigint[])", [ids])
    }

    /// Counts a failed attempt and makes the job due again in `delay` seconds.
    package static func retry(_ db: PostgresConnection, id: Int64, in delay: Double, error: String) throws {
        try db.query(
            """
            UPDATE notification_outbox
            SET attempts = attempts + 1, available_at = clock_timestamp() + make_interval(secs => $2), last_error = $3
            WHERE id = $1
            """, [id, delay, error])
    }

    /// Gives a job up for good, recording why.
    package static func fail(_ db: PostgresConnection, id: Int64, error: String) throws {
        try db.query(
            "UPDATE notification_outbox SET attempts = attempts + 1, failed_at = now(), last_error = $2 WHERE id = $1", [id, error])
    }

    /// Seconds until the next job of `kinds` is due (0 or less when one is due now), nil when none is waiting.
    package static func secondsUntilNextDue(_ db: PostgresConnection, kinds: [OutboxJob.Kind], lane: OutboxLane = .all) throws -> Double? {
        try db.query(
            """
            SELECT extract(epoch FROM min(\(dueAt)) - now())::float8
            FROM \(jobsWithHolds)
            WHERE failed_at IS NULL AND o.kind = ANY($1::text[]) AND \(inTurn) AND \(lane.condition)
            """, [kinds.map(\.rawValue)]
        )[0].decode(0)
    }

    /// Jobs waiting to be sent, by kind.
    package static func pendingCounts(_ db: PostgresConnection) throws -> [OutboxJob.Kind: Int] {
        var counts: [OutboxJob.Kind: Int] = [:]
        for row in try db.query("SELECT kind, count(*) FROM notification_outbox WHERE failed_at IS NULL GROUP BY kind") {
            if let kind = OutboxJob.Kind(rawValue: try row.decode(0)) { counts[kind] = try row.decode(1) }
        }
        return counts
    }

    /// The jobs waiting to be sent, by kind, and how long the oldest due one has been due (nil when none is due).
    package static func backlog(_ db: PostgresConnection) throws -> OutboxBacklog {
        var backlog = OutboxBacklog()
        let rows = try db.query(
            """
            SELECT o.kind, count(*)::int8, extract(epoch FROM now() - min(\(dueAt)) FILTER (WHERE \(dueAt) <= now()))::float8
            FROM \(jobsWithHolds) WHERE failed_at IS NULL GROUP BY o.kind
            """)
        for row in rows {
            guard let kind = OutboxJob.Kind(rawValue: try row.decode(0)) else { continue }
            backlog.pending[kind] = try row.decode(1)
            let due: Double? = try row.decode(2)
            if let due { backlog.oldestDueSeconds = max(backlog.oldestDueSeconds ?? 0, due) }
        }
        return backlog
    }

    /// Jobs given up, newest first.
    package static func failed(_ db: PostgresConnection, limit: Int = 100) throws -> [FailedOutboxJob] {
        try db.query(
            """
            SELECT id, kind, message_id, attempts, failed_at, last_error FROM notification_outbox
            WHERE failed_at IS NOT NULL ORDER BY failed_at DESC, id DESC LIMIT $1
            """, [limit]
        ).map { row throws(DatabaseError) in
            FailedOutboxJob(
                id: try row.decode("id"), kind: OutboxJob.Kind(rawValue: try row.decode("kind")) ?? .push, messageId: try row.decode("message_id"),
                attempts: try row.decode("attempts"), failedAt: try row.decode("failed_at"), lastError: try row.decode("last_error") ?? "")
        }
    }
}

/// The outbox at a glance, for `msgctl doctor`.
package struct OutboxHealth: Sendable, Equatable {
    /// A job given up: what it was, why, and how long ago (by the database's clock).
    package struct Failure: Sendable, Equatable {
        package var kind: String
        package var error: String
        package var secondsAgo: Double
    }

    /// Jobs waiting to be sent (due now or retried later).
    package var waiting: Int
    /// How long the job that has been due longest has waited past its time; nil when none is due.
    package var oldestDueSeconds: Double?
    /// Jobs given up.
    package var failed: Int
    /// The oldest job given up.
    package var oldestFailure: Failure?
}

extension OutboxRepository {
    /// The backlog and the oldest failure.
    package static func health(_ db: PostgresConnection) throws -> OutboxHealth {
        let counts = try db.query(
            """
            SELECT (SELECT count(*) FROM notification_outbox WHERE failed_at IS NULL),
                   (SELECT extract(epoch FROM now() - min(\(dueAt)))::float8 FROM \(jobsWithHolds)
                    WHERE failed_at IS NULL AND \(dueAt) <= now()),
                   (SELECT count(*) FROM notification_outbox WHERE failed_at IS NOT NULL)
            """)[0]
        let oldest = try db.query(
            """
            SELECT kind, coalesce(last_error, ''), extract(epoch FROM now() - failed_at)::float8 FROM notification_outbox
            WHERE failed_at IS NOT NULL ORDER BY failed_at, id LIMIT 1
            """
        ).first
        return OutboxHealth(
            waiting: try counts.decode(0), oldestDueSeconds: try counts.decode(1), failed: try counts.decode(2),
            oldestFailure: try oldest.map { row throws(DatabaseError) in
                OutboxHealth.Failure(kind: try row.decode(0), error: try row.decode(1), secondsAgo: try row.decode(2))
            })
    }
}

/// Which of the outbox's jobs a worker takes: first attempts and retries go in lanes of their own, so that a service
/// slow to answer, tried again and again, holds up only other retries.
package enum OutboxLane: String, Sendable {
    case all
    case firstAttempts = "first attempts"
    case retries

    var condition: String {
        switch self {
        case .all: "true"
        case .firstAttempts: "o.attempts = 0"
        case .retries: "o.attempts > 0"
        }
    }
}
