import Foundation
import MsgLib
import TestSupport
import Testing

@Suite(.needsDatabase) struct ConstraintTests {
    @Test func contentLengthIsCountedAsPostgreSQLCounts() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        func insert(_ content: String) throws -> Message {
            try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: content)
        }
        let empty = #expect(throws: DatabaseError.self) { try insert("") }
        #expect(empty?.kind == .validation)
        #expect(empty?.constraint == "messages_content_length")
        let tooLong = #expect(throws: DatabaseError.self) { try insert(String(repeating: "a", count: 10_001)) }
        #expect(tooLong?.kind == .validation)
        #expect(try insert(String(repeating: "a", count: 10_000)).content.count == 10_000)
        // A flag is one Swift Character but two Unicode scalars, and PostgreSQL counts scalars.
        let flags = String(repeating: "🇫🇷", count: 5_000)
        #expect(flags.count == 5_000)
        #expect(Message.isValidContent(flags))
        #expect(try insert(flags).content == flags)
        #expect(!Message.isValidContent(flags + "a"))
        #expect(throws: DatabaseError.self) { try insert(flags + "a") }
        // "é" written as e + combining accent: one Character, two scalars, both counted.
        let combining = String(repeating: "e\u{301}", count: 5_000)
        #expect(try db.scalar("SELECT char_length($1)", [combining], as: Int.self) == 10_000)
        #expect(Message.isValidContent(combining))
        #expect(!Message.isValidContent(""))
    }

    @Test func oneConversationPerUser() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        _ = try ConversationRepository.insert(db, userId: f.alice.id)
        let error = #expect(throws: DatabaseError.self) { try ConversationRepository.insert(db, userId: f.alice.id) }
        #expect(error?.kind == .conflict)
        #expect(error?.sqlState == "23505")
        #expect(error?.constraint == "conversations_user_id_unique")
    }
}
