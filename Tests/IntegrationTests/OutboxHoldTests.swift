import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// A kind held as a `Retry-After` asked: not claimed, not late, due again when the hold ends.
@Suite(.needsDatabase) struct OutboxHoldTests {
    @Test func aHeldKindIsNeitherClaimedNorLateUntilItsHoldEnds() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let message = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "one")
        try db.query(
            """
            INSERT INTO notification_outbox (kind, message_id, conversation_id, available_at)
            VALUES ('slack_post', $1, $2, now() - interval '5 minutes')
            """, [message.id, conversation.id])
        try OutboxRepository.hold(db, kind: .slackPost, seconds: 3600)
        let outbox = NotificationOutbox(kinds: [.slackPost])
        #expect(try db.transaction { try outbox.claimDue(db, limit: 10) }.isEmpty)
        #expect(try outbox.secondsUntilNextDue(db).map { $0 > 3500 } == true)
        // Held, it is waiting as asked: not reported late to msgctl doctor or the metrics.
        #expect(try OutboxRepository.health(db).oldestDueSeconds == nil)
        let held = try OutboxRepository.backlog(db)
        #expect(held.pending[.slackPost] == 1 && held.oldestDueSeconds == nil)

        try db.query("UPDATE outbox_holds SET until = now() - interval '1 minute'")
        #expect(try db.transaction { try outbox.claimDue(db, limit: 10) }.count == 1)
        // Due since its hold ended, not since its own time.
        let late = try #require(try OutboxRepository.health(db).oldestDueSeconds)
        #expect(late >= 59 && late < 120, "\(late)")
        #expect(try OutboxRepository.backlog(db).oldestDueSeconds.map { $0 >= 59 && $0 < 120 } == true)
    }
}
