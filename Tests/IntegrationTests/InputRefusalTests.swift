import Foundation
import MsgLib
import TestSupport
import Testing

/// Input PostgreSQL cannot store is refused by the service, by name, before it reaches the database; what the
/// database still refuses is told to clients by kind, never with row values.
@Suite(.needsDatabase) struct InputRefusalTests {
    @Test func nulIsRefusedInEveryTextTheServiceStores() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let service = MessagingService(pool: database.pool())
        func refusal(_ body: () async throws -> Void) async -> String? {
            do {
                try await body()
                return nil
            } catch let error as ServiceError {
                return error.kind == .invalid ? error.message : "\(error.kind): \(error.message)"
            } catch {
                return "\(error)"
            }
        }
        let nul = "a\u{0}b"
        #expect(
            await refusal { _ = try await service.addUser(username: nul, displayName: "D", slug: nil, isAdmin: false) }
                == "The username must not contain NUL characters")
        #expect(
            await refusal { _ = try await service.addUser(username: "carol", displayName: nul, slug: nil, isAdmin: false) }
                == "The display name must not contain NUL characters")
        #expect(
            await refusal { _ = try await service.addUser(username: "carol", displayName: "C", slug: nul, isAdmin: false) }
                == "The slug must not contain NUL characters")
        #expect(
            await refusal { _ = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: nul) }
                == "Content must not contain NUL characters")
        #expect(
            await refusal { _ = try await service.createConversation(viewer: f.bob, initialMessage: nul) }
                == "Content must not contain NUL characters")
        #expect(
            await refusal { _ = try await service.search(viewer: f.alice, query: nul, options: .init()) }
                == "The search query must not contain NUL characters")
        #expect(
            await refusal { _ = try await service.subscribePush(viewer: f.alice, endpoint: "https://push.example.com/\u{0}", p256dh: "x", auth: "y") }
                == "The endpoint must not contain NUL characters")
        #expect(
            await refusal { _ = try await service.statistics(viewer: f.admin, since: .earliest, until: .now(), timezone: "UTC\u{0}") }
                == "The time zone must not contain NUL characters")
        // Nothing was stored, nothing cut short at the NUL.
        #expect(try await service.users().map(\.username).sorted() == [f.admin, f.alice, f.bob].map(\.username).sorted())
        await service.pool.shutdown()
    }

    @Test func theDatabasesRefusalsReachClientsByKindWithoutRowValues() async throws {
        let db = try await TestDatabase.create().connect()
        _ = try Fixtures.make(db)
        let conflict = #expect(throws: DatabaseError.self) { try UserRepository.insert(db, username: "alice", displayName: "Secret Name") }
        #expect(conflict?.failure.kind == .conflict)
        #expect(conflict?.failure.publicMessage == "This conflicts with data already stored")
        let outOfRange = #expect(throws: DatabaseError.self) { try db.query("SELECT $1::timestamptz", ["0000-01-01T00:00:00Z"]) }
        #expect(outOfRange?.sqlState?.hasPrefix("22") == true)
        #expect(outOfRange?.failure.kind == .invalid)
        #expect(outOfRange?.failure.publicMessage?.contains("0000") == false)
        // What is logged names neither the row's values nor the detail line.
        for error in [conflict, outOfRange].compactMap({ $0 }) {
            #expect(!String(reflecting: error).contains("alice") && !String(reflecting: error).contains("Key ("))
        }
        // Every time Timestamp parses, PostgreSQL holds.
        for time in [Timestamp.earliest, Timestamp.latest] {
            #expect(try db.scalar("SELECT $1::timestamptz", [time], as: Timestamp.self) == time)
        }
    }
}
