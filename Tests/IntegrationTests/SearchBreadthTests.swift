import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// A query with no word that every match has tests every message of its scope: over a large scope it is refused, not
/// run until the statement timeout.
@Suite(.needsDatabase) struct SearchBreadthTests {
    @Test func aQueryOfOnlyExcludedWordsOverALargeScopeIsRefused() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        try db.query(
            "INSERT INTO messages (conversation_id, sender_id, content) SELECT $1, $2, 'order number ' || n FROM generate_series(1, $3::int) n",
            [conversation.id, f.alice.id, MessageRepository.scopeScanLimit + 1])
        let service = MessagingService(pool: database.pool(size: 1))
        for query in ["-refund", "order or -refund"] {
            let refused = await #expect(throws: ServiceError.self) {
                try await service.search(viewer: f.alice, query: query, options: .init())
            }
            #expect(refused?.kind == .invalid && refused?.message.hasPrefix("The search needs a word that every match has") == true)
        }
        // A word every match has: searched.
        #expect(
            try await service.search(viewer: f.alice, query: "order -refund", options: .init()).total.count == MessageRepository.scopeScanLimit + 1)
        // A small scope is read whole whatever the query.
        let bobs = try ConversationRepository.insert(db, userId: f.bob.id)
        _ = try MessageRepository.insert(db, conversationId: bobs.id, senderId: f.bob.id, content: "hello")
        #expect(try await service.search(viewer: f.bob, query: "-refund", options: .init()).total.count == 1)
    }
}
