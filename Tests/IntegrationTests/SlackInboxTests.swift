import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// The Slack inbox in the database: an event is stored once per id, handled once, retried after a database failure
/// with a backoff, and given up after too many attempts.
@Suite(.needsDatabase) struct SlackInboxTests {
    struct Setup {
        let database: TestDatabase
        let db: PostgresConnection
        let f: Fixtures
        let service: MessagingService
        let conversation: Conversation
    }

    func setup() async throws -> Setup {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let first = try MessageRepository.insert(db, conversationId: conversation.id, sender: f.alice, content: "hello")
        try SlackThreadRepository.insert(
            db,
            SlackThread(
                conversationId: conversation.id, channelId: "C1", threadTs: "1.000100", parentTs: "1.000100",
                parentMessageId: try #require(first).message.id))
        let service = MessagingService(pool: database.pool(size: 2))
        _ = try await service.linkSlackUser("U0ADMIN", admin: "admin", linkedBy: "test")
        return Setup(database: database, db: db, f: f, service: service, conversation: conversation)
    }

    func payload(_ id: String, text: String, user: String = "U0ADMIN", ts: String = "2.000200", thread: String = "1.000100") -> String {
        String(
            decoding: SlackRequests.eventCallback(
                id: id, event: ["type": "message", "channel": "C1", "user": user, "text": text, "ts": ts, "thread_ts": thread]), as: UTF8.self)
    }

    @Test func eventsAreStoredOnceAndHandledOnce() async throws {
        let s = try await setup()
        #expect(try await s.service.acceptSlackEvent(eventId: "Ev1", payload: payload("Ev1", text: "one"), statementTimeout: .seconds(2)))
        #expect(try await !s.service.acceptSlackEvent(eventId: "Ev1", payload: payload("Ev1", text: "changed"), statementTimeout: .seconds(2)))
        guard case .delivered(let message) = try await s.service.handleNextSlackEvent() else {
            Issue.record("not delivered")
            return
        }
        #expect(message.message.content == "one" && message.sender.id == s.f.admin.id && message.conversationUserId == s.f.alice.id)
        #expect(try await s.service.handleNextSlackEvent() == .idle)
        #expect(try SlackInboxRepository.state(s.db, eventId: "Ev1")?.state == .done)
        // Stored again after it was handled (a late retry): still nothing more.
        #expect(try await !s.service.acceptSlackEvent(eventId: "Ev1", payload: payload("Ev1", text: "one"), statementTimeout: .seconds(2)))
        #expect(try await s.service.handleNextSlackEvent() == .idle)
        // A Slack reply is never posted back, even in app mode.
        #expect(
            try s.db.scalar(
                "SELECT count(*) FROM notification_outbox WHERE message_id = $1 AND kind = 'slack_post'", [message.message.id], as: Int.self) == 0)
    }

    /// One Slack message that arrives under two event ids (an app installed on both sides of a shared channel) is
    /// taken in once.
    @Test func aSlackMessageUnderTwoEventIdsIsTakenInOnce() async throws {
        let s = try await setup()
        _ = try await s.service.acceptSlackEvent(eventId: "EvX", payload: payload("EvX", text: "twice"), statementTimeout: .seconds(2))
        _ = try await s.service.acceptSlackEvent(eventId: "EvY", payload: payload("EvY", text: "twice"), statementTimeout: .seconds(2))
        guard case .delivered = try await s.service.handleNextSlackEvent() else {
            Issue.record("not delivered")
            return
        }
        #expect(try await s.service.handleNextSlackEvent() == .ignored("Slack message 2.000200 was taken in already"))
        #expect(try s.db.scalar("SELECT count(*) FROM messages WHERE content = 'twice'", as: Int.self) == 1)
    }

    @Test func aRowHeldByAnotherRelayIsSkipped() async throws {
        let s = try await setup()
        let bobsConversation = try ConversationRepository.insert(s.db, userId: s.f.bob.id)
        let bobs = try #require(try MessageRepository.insert(s.db, conversationId: bobsConversation.id, sender: s.f.bob, content: "hi"))
        try SlackThreadRepository.insert(
            s.db,
            SlackThread(conversationId: bobsConversation.id, channelId: "C1", threadTs: "3.1", parentTs: "3.1", parentMessageId: bobs.message.id))
        _ = try await s.service.acceptSlackEvent(eventId: "EvA", payload: payload("EvA", text: "a"), statementTimeout: .seconds(2))
        _ = try await s.service.acceptSlackEvent(
            eventId: "EvB", payload: payload("EvB", text: "b", ts: "3.2", thread: "3.1"), statementTimeout: .seconds(2))
        // Another relay is in the middle of EvA (in another thread: one of the same thread would wait for it).
        let other = try s.database.connect()
        try other.execute("BEGIN")
        #expect(try SlackInboxRepository.claimNext(other)?.eventId == "EvA")
        guard case .delivered(let message) = try await s.service.handleNextSlackEvent() else {
            Issue.record("not delivered")
            return
        }
        #expect(message.message.content == "b")
        #expect(try await s.service.handleNextSlackEvent() == .idle)
        try other.execute("ROLLBACK")
        guard case .delivered(let late) = try await s.service.handleNextSlackEvent() else {
            Issue.record("not delivered")
            return
        }
        #expect(late.message.content == "a")
    }

    @Test func aDatabaseFailureIsRetriedWithBackoffThenGivenUp() async throws {
        let s = try await setup()
        try s.db.execute(
            """
            CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_insert();
            """)
        _ = try await s.service.acceptSlackEvent(eventId: "EvF", payload: payload("EvF", text: "x"), statementTimeout: .seconds(2))
        guard case .deferred = try await s.service.handleNextSlackEvent() else {
            Issue.record("not deferred")
            return
        }
        // Still pending, tried once, due again 2 seconds after the failure, with the reason.
        let row = try s.db.query("SELECT state, attempts, available_at - received_at >= interval '2 seconds', last_error FROM slack_inbox")[0]
        #expect(try row.decode(0, as: String.self) == "pending")
        #expect(try row.decode(1, as: Int.self) == 1)
        #expect(try row.decode(2, as: Bool.self))
        #expect(try row.decode(3, as: String?.self)?.contains("disk full") == true)
        // Due again: it fails until the last attempt, then is given up.
        for _ in 1..<MessagingService.slackInboxMaximumAttempts {
            try s.db.query("UPDATE slack_inbox SET available_at = now()")
            guard case .deferred = try await s.service.handleNextSlackEvent() else {
                Issue.record("not deferred")
                return
            }
        }
        #expect(try SlackInboxRepository.state(s.db, eventId: "EvF")?.state == .failed)
        #expect(try SlackInboxRepository.state(s.db, eventId: "EvF")?.lastError?.hasPrefix("gave up after 8 attempts") == true)
        // Once the database takes messages again, a new event goes through.
        try s.db.execute("DROP TRIGGER refuse ON messages")
        _ = try await s.service.acceptSlackEvent(eventId: "EvG", payload: payload("EvG", text: "y"), statementTimeout: .seconds(2))
        guard case .delivered = try await s.service.handleNextSlackEvent() else {
            Issue.record("not delivered")
            return
        }
        // Handled events are pruned once old enough; pending ones never.
        try s.db.query("UPDATE slack_inbox SET processed_at = now() - interval '2 days' WHERE state <> 'pending'")
        #expect(try await s.service.pruneSlackInbox(olderThan: 86_400) == 2)
        #expect(try s.db.scalar("SELECT count(*) FROM slack_inbox", as: Int.self) == 0)
    }

    /// A reply in a thread not recorded yet (its post's outbox round has not committed), or a reaction on a reply not
    /// handled yet, waits for it while the event is young, then is ignored.
    @Test func anEventWaitsForWhatItRefersToThenIsIgnored() async throws {
        let s = try await setup()
        let reaction = String(
            decoding: SlackRequests.eventCallback(
                id: "EvR",
                event: [
                    "type": "reaction_added", "user": "U0ADMIN", "reaction": "tada", "item_user": "U0ADMIN",
                    "item": ["type": "message", "channel": "C1", "ts": "2.000200"], "event_ts": "2.000300",
                ]), as: UTF8.self)
        _ = try await s.service.acceptSlackEvent(eventId: "EvR", payload: reaction, statementTimeout: .seconds(2))
        #expect(try await s.service.handleNextSlackEvent() == .waiting(SlackInboxReason.unknownPost))
        #expect(try SlackInboxRepository.state(s.db, eventId: "EvR")?.state == .pending)
        // Waiting counts no attempt: those are for database failures, 8 at most.
        #expect(try s.db.scalar("SELECT attempts FROM slack_inbox WHERE event_id = 'EvR'", as: Int.self) == 0)
        // The reply it reacts to is handled meanwhile (before the reaction's next look, which a slow machine may reach
        // first): the reaction is taken on it.
        try s.db.query("UPDATE slack_inbox SET available_at = now() + interval '1 hour' WHERE event_id = 'EvR'")
        _ = try await s.service.acceptSlackEvent(eventId: "EvM", payload: payload("EvM", text: "the reply"), statementTimeout: .seconds(2))
        guard case .delivered(let reply) = try await s.service.handleNextSlackEvent() else {
            Issue.record("not delivered")
            return
        }
        try s.db.query("UPDATE slack_inbox SET available_at = now() WHERE event_id = 'EvR'")
        #expect(try await s.service.handleNextSlackEvent() == .reacted(reply.message.id))
        // A reply in a thread not recorded yet waits; recorded meanwhile, it is delivered.
        let other = try ConversationRepository.insert(s.db, userId: s.f.bob.id)
        let bobs = try #require(try MessageRepository.insert(s.db, conversationId: other.id, sender: s.f.bob, content: "hi"))
        let early = String(
            decoding: SlackRequests.eventCallback(
                id: "EvT", event: ["type": "message", "channel": "C1", "user": "U0ADMIN", "text": "early", "ts": "3.2", "thread_ts": "3.1"]),
            as: UTF8.self)
        _ = try await s.service.acceptSlackEvent(eventId: "EvT", payload: early, statementTimeout: .seconds(2))
        #expect(try await s.service.handleNextSlackEvent() == .waiting("not the thread of a conversation"))
        try SlackThreadRepository.insert(
            s.db, SlackThread(conversationId: other.id, channelId: "C1", threadTs: "3.1", parentTs: "3.1", parentMessageId: bobs.message.id))
        try s.db.query("UPDATE slack_inbox SET available_at = now() WHERE event_id = 'EvT'")
        guard case .delivered(let late) = try await s.service.handleNextSlackEvent() else {
            Issue.record("not delivered")
            return
        }
        #expect(late.message.conversationId == other.id && late.message.content == "early")
        // Past the wait, what is still unknown is ignored.
        let lost = String(
            decoding: SlackRequests.eventCallback(
                id: "EvL", event: ["type": "message", "channel": "C1", "user": "U0ADMIN", "text": "lost", "ts": "4.2", "thread_ts": "4.1"]),
            as: UTF8.self)
        _ = try await s.service.acceptSlackEvent(eventId: "EvL", payload: lost, statementTimeout: .seconds(2))
        try s.db.query("UPDATE slack_inbox SET received_at = now() - interval '1 minute' WHERE event_id = 'EvL'")
        #expect(try await s.service.handleNextSlackEvent() == .ignored("not the thread of a conversation"))
    }

    /// A thread recorded after its events were given up (Slack's answer to the post was lost; a later attempt found the
    /// post, minutes on): the replies in it and the reactions on its parent that were ignored meanwhile are handled then,
    /// in the order they arrived; those ignored for another reason stay ignored.
    @Test func eventsIgnoredBeforeTheirThreadWasRecordedAreHandledOnceItIs() async throws {
        let s = try await setup()
        let other = try ConversationRepository.insert(s.db, userId: s.f.bob.id)
        let parent = try #require(try MessageRepository.insert(s.db, conversationId: other.id, sender: s.f.bob, content: "hi"))
        let reaction = String(
            decoding: SlackRequests.eventCallback(
                id: "EvX",
                event: [
                    "type": "reaction_added", "user": "U0ADMIN", "reaction": "tada", "item_user": "U0BOT",
                    "item": ["type": "message", "channel": "C1", "ts": "5.1"], "event_ts": "5.5",
                ]), as: UTF8.self)
        let events = [
            ("EvA", payload("EvA", text: "first", ts: "5.2", thread: "5.1")),
            ("EvB", payload("EvB", text: "not linked", user: "U0OTHER", ts: "5.3", thread: "5.1")),
            ("EvC", payload("EvC", text: "second", ts: "5.4", thread: "5.1")),
            ("EvX", reaction),
        ]
        for (id, payload) in events {
            _ = try await s.service.acceptSlackEvent(eventId: id, payload: payload, statementTimeout: .seconds(2))
        }
        try s.db.query("UPDATE slack_inbox SET received_at = received_at - interval '5 minutes'")
        var outcomes: [MessagingService.SlackInboxOutcome] = []
        for _ in events { outcomes.append(try await s.service.handleNextSlackEvent()) }
        #expect(
            outcomes == [
                .ignored(SlackInboxReason.notAThread), .ignored("Slack user U0OTHER is not linked to an admin"),
                .ignored(SlackInboxReason.notAThread), .ignored(SlackInboxReason.unknownPost),
            ])
        // The outbox's round records what its lookup found.
        let outbox = NotificationOutbox(kinds: OutboxJob.Kind.slackApp)
        try outbox.recordThread(
            s.db, SlackThread(conversationId: other.id, channelId: "C1", threadTs: "5.1", parentTs: "5.1", parentMessageId: parent.message.id))
        try outbox.recordPost(s.db, SlackMessagePost(messageId: parent.message.id, channelId: "C1", ts: "5.1"))
        var delivered: [String] = []
        var reacted: [UUID] = []
        while true {
            switch try await s.service.handleNextSlackEvent() {
            case .idle: break
            case .delivered(let message):
                #expect(message.message.conversationId == other.id && message.sender.id == s.f.admin.id)
                delivered.append(message.message.content)
                continue
            case .reacted(let id):
                reacted.append(id)
                continue
            case let outcome:
                Issue.record("unexpected \(outcome)")
            }
            break
        }
        #expect(delivered == ["first", "second"])
        #expect(reacted == [parent.message.id])
        #expect(try SlackInboxRepository.state(s.db, eventId: "EvB")?.state == .ignored)
        #expect(try s.db.scalar("SELECT count(*) FROM slack_inbox WHERE state = 'done'", as: Int.self) == 3)
    }

    @Test func eventsReferringToTheSameAreHandledInTheOrderTheyArrived() async throws {
        let s = try await setup()
        func reaction(_ id: String, _ type: String) -> String {
            String(
                decoding: SlackRequests.eventCallback(
                    id: id,
                    event: [
                        "type": type, "user": "U0ADMIN", "reaction": "tada", "item_user": "U0ADMIN",
                        "item": ["type": "message", "channel": "C1", "ts": "5.2"], "event_ts": "5.9",
                    ]), as: UTF8.self)
        }
        // Two replies in a thread not recorded yet, and a reaction added to the first then removed.
        _ = try await s.service.acceptSlackEvent(
            eventId: "EvT1", payload: payload("EvT1", text: "first", ts: "5.2", thread: "5.1"), statementTimeout: .seconds(2))
        #expect(try await s.service.handleNextSlackEvent() == .waiting("not the thread of a conversation"))
        _ = try await s.service.acceptSlackEvent(
            eventId: "EvT2", payload: payload("EvT2", text: "second", ts: "5.3", thread: "5.1"), statementTimeout: .seconds(2))
        _ = try await s.service.acceptSlackEvent(eventId: "EvRa", payload: reaction("EvRa", "reaction_added"), statementTimeout: .seconds(2))
        _ = try await s.service.acceptSlackEvent(eventId: "EvRr", payload: reaction("EvRr", "reaction_removed"), statementTimeout: .seconds(2))
        // The thread is recorded while the first reply waits for its next look: the others, due, do not pass it.
        let other = try ConversationRepository.insert(s.db, userId: s.f.bob.id)
        let bobs = try #require(try MessageRepository.insert(s.db, conversationId: other.id, sender: s.f.bob, content: "hi"))
        try SlackThreadRepository.insert(
            s.db, SlackThread(conversationId: other.id, channelId: "C1", threadTs: "5.1", parentTs: "5.1", parentMessageId: bobs.message.id))
        try s.db.query("UPDATE slack_inbox SET available_at = now() + interval '1 hour' WHERE event_id = 'EvT1'")
        #expect(try await s.service.handleNextSlackEvent() == .idle)
        // Its look comes; those behind it follow at once (the second reply put off meanwhile), in the order they arrived.
        try s.db.query("UPDATE slack_inbox SET available_at = now() WHERE event_id = 'EvT1'")
        try s.db.query("UPDATE slack_inbox SET available_at = now() + interval '1 hour' WHERE event_id = 'EvT2'")
        var outcomes: [String] = []
        for _ in 0..<6 {
            switch try await s.service.handleNextSlackEvent() {
            case .delivered(let message): outcomes.append(message.message.content)
            case .reacted: outcomes.append("reacted")
            case .idle: break
            case let outcome: outcomes.append("\(outcome)")
            }
        }
        // The reactions follow the first reply only: they may come before the second.
        #expect(outcomes.first == "first" && outcomes.sorted() == ["first", "reacted", "reacted", "second"], "\(outcomes)")
        #expect(try s.db.scalar("SELECT count(*) FROM message_reactions", as: Int.self) == 0)
    }

    @Test func unlinkedUsersAndUnknownThreadsAreIgnoredWithTheReason() async throws {
        let s = try await setup()
        _ = try await s.service.acceptSlackEvent(eventId: "EvU", payload: payload("EvU", text: "x", user: "U0OTHER"), statementTimeout: .seconds(2))
        #expect(try await s.service.handleNextSlackEvent() == .ignored("Slack user U0OTHER is not linked to an admin"))
        // An admin who lost the flag no longer acts from Slack.
        try s.db.query("UPDATE users SET is_admin = false WHERE id = $1", [s.f.admin.id])
        _ = try await s.service.acceptSlackEvent(eventId: "EvD", payload: payload("EvD", text: "x"), statementTimeout: .seconds(2))
        #expect(try await s.service.handleNextSlackEvent() == .ignored("Slack user U0ADMIN is not linked to an admin"))
        #expect(try s.db.scalar("SELECT count(*) FROM messages WHERE sender_id = $1", [s.f.admin.id], as: Int.self) == 0)
    }
}
