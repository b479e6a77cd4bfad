import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// How a replay reads what a client lacks: a chunk at a time, in order across the cursor's batch and what follows it,
/// and no further than its byte budget.
@Suite(.needsDatabase) struct ReplayReadTests {
    static func insert(_ db: PostgresConnection, _ conversation: UUID, _ sender: UUID, count: Int, content: String) throws -> [UUID] {
        try db.query(
            "INSERT INTO messages (conversation_id, sender_id, content) SELECT $1, $2, $3 || g FROM generate_series(1, $4::int) g RETURNING id",
            [conversation, sender, content, count]
        ).map { try $0.decode(0, as: UUID.self) }.sorted { UUID.precedes($0, $1) }
    }

    @Test func aReplayReadsInChunksAcrossTheBatchAndWhatFollows() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let before = try DeliveryRepository.currentSnapshot(db)
        let batch = try Self.insert(db, conversation.id, f.admin.id, count: 100, content: "batch ")
        let end = try DeliveryRepository.currentSnapshot(db)
        let after = try Self.insert(db, conversation.id, f.admin.id, count: 100, content: "after ")
        let service = MessagingService(pool: database.pool(size: 1), localDelivery: nil)
        // At the 10th message of its batch: the other 90, then the 100 that followed, each once, in order.
        let cursor = ResumeCursor(base: before, end: end, lastId: batch[9])
        let (all, truncated) = try await service.replay(viewer: f.alice, from: .cursor(cursor), joinedAt: nil, limit: 1000)
        #expect(!truncated)
        #expect(all.map(\.message.id) == Array(batch.dropFirst(10)) + after)
        let (byId, _) = try await service.replay(viewer: f.alice, from: .messageId(batch[9]), joinedAt: nil, limit: 1000)
        #expect(byId.map(\.message.id) == Array(batch.dropFirst(10)) + after)
        let (limited, cut) = try await service.replay(viewer: f.alice, from: .cursor(cursor), joinedAt: nil, limit: 150)
        #expect(cut && limited.map(\.message.id) == Array((Array(batch.dropFirst(10)) + after).prefix(150)))
    }

    @Test func aReplayStopsReadingAtItsByteBudget() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let before = try DeliveryRepository.currentSnapshot(db)
        // Long messages (20,000 bytes each): a budget of 50,000 bytes reads three, not a thousand.
        let long = try Self.insert(db, conversation.id, f.admin.id, count: 200, content: String(repeating: "é", count: 9_990))
        let service = MessagingService(pool: database.pool(size: 1), localDelivery: nil)
        let (read, truncated) = try await service.replay(
            viewer: f.alice, from: .cursor(ResumeCursor(complete: before)), joinedAt: nil, limit: 1000, byteBudget: 50_000)
        #expect(truncated && read.map(\.message.id) == Array(long.prefix(3)))
        // A fresh socket's unread messages too, in order across chunks.
        let (unread, unreadCut) = try await service.replay(viewer: f.alice, from: nil, joinedAt: nil, limit: 1000, byteBudget: 50_000)
        #expect(unreadCut && unread.map(\.message.id) == Array(long.prefix(3)))
        let (all, allCut) = try await service.replay(viewer: f.alice, from: nil, joinedAt: nil, limit: 1000)
        #expect(!allCut && all.map(\.message.id) == long)
        // The first message always, however long.
        let (first, _) = try await service.replay(viewer: f.alice, from: .messageId(long[0]), joinedAt: nil, limit: 1000, byteBudget: 10)
        #expect(first.map(\.message.id) == Array(long[1...2]))
    }
}
