import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// A slug made from a username is unique: names that make the same one (letters outside ASCII all make `user`) get a
/// number; a slug given that is taken is refused.
@Suite(.needsDatabase) struct UserSlugTests {
    @Test func derivedSlugsThatCollideGetANumber() async throws {
        let database = try await TestDatabase.create()
        let service = MessagingService(pool: database.pool(size: 1))
        let first = try await service.addUser(username: "日本", displayName: "A", slug: nil, isAdmin: false)
        let second = try await service.addUser(username: "中文", displayName: "B", slug: nil, isAdmin: false)
        let third = try await service.addUser(username: "a.b", displayName: "C", slug: nil, isAdmin: false)
        let fourth = try await service.addUser(username: "a_b", displayName: "D", slug: nil, isAdmin: false)
        #expect([first.slug, second.slug, third.slug, fourth.slug] == ["user", "user-2", "a-b", "a-b-2"])
        let given = await #expect(throws: ServiceError.self) {
            try await service.addUser(username: "other", displayName: "E", slug: "a-b", isAdmin: false)
        }
        #expect(given?.message == "a user with that slug already exists")
        let sameName = await #expect(throws: ServiceError.self) {
            try await service.addUser(username: "中文", displayName: "F", slug: nil, isAdmin: false)
        }
        #expect(sameName?.message == "a user with that username already exists")
    }
}
