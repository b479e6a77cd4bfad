import Foundation
import Synchronization
import Testing

@testable import MsgLib

/// The user cache never keeps a user as read before a change the relay has already heard of.
@Suite struct UserCacheTests {
    static func user(_ id: UUID, admin: Bool) -> User {
        User(id: id, username: "ann", displayName: "Ann", slug: "ann", isAdmin: admin, createdAt: .now())
    }

    @Test func aUserFoundIsKeptUntilForgotten() async throws {
        let cache = UserCache()
        let id = UUID()
        let loads = Mutex(0)
        func load(admin: Bool) -> () async throws -> User? {
            {
                loads.withLock { $0 += 1 }
                return Self.user(id, admin: admin)
            }
        }
        #expect(try await cache.user(id, load: load(admin: true))?.isAdmin == true)
        #expect(try await cache.user(id, load: load(admin: false))?.isAdmin == true)
        #expect(loads.withLock { $0 } == 1)
        cache.forget(id)
        #expect(try await cache.user(id, load: load(admin: false))?.isAdmin == false)
        #expect(loads.withLock { $0 } == 2)
    }

    /// A lookup reads the admin as they were; the demotion commits and the relay forgets the user while the lookup is
    /// still under way. The lookup answers what it read (its request began before the change), and the next one reads
    /// the user again.
    @Test(arguments: [false, true]) func aLookupUnderWayWhenTheUserIsForgottenIsNotKept(forgetAll: Bool) async throws {
        let cache = UserCache()
        let id = UUID()
        let (reading, readingContinuation) = AsyncStream<Void>.makeStream()
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let stale = Task {
            try await cache.user(id) {
                readingContinuation.yield()
                for await _ in release { break }
                return Self.user(id, admin: true)
            }
        }
        for await _ in reading { break }
        if forgetAll { cache.forgetAll() } else { cache.forget(id) }
        releaseContinuation.yield()
        #expect(try await stale.value?.isAdmin == true)
        #expect(try await cache.user(id, load: { Self.user(id, admin: false) })?.isAdmin == false)
    }

    /// Users are kept only while their changes are announced: none before the listener first connects, none while it
    /// is down, and what was kept before it went down is forgotten.
    @Test func usersAreKeptOnlyWhileChangesAreFollowed() async throws {
        let cache = UserCache(followed: false)
        let id = UUID()
        let loads = Mutex(0)
        let load: () async throws -> User? = {
            loads.withLock { $0 += 1 }
            return Self.user(id, admin: true)
        }
        _ = try await cache.user(id, load: load)
        _ = try await cache.user(id, load: load)
        #expect(loads.withLock { $0 } == 2)
        cache.follow(true)
        _ = try await cache.user(id, load: load)
        _ = try await cache.user(id, load: load)
        #expect(loads.withLock { $0 } == 3)
        cache.follow(false)
        _ = try await cache.user(id, load: load)
        _ = try await cache.user(id, load: load)
        #expect(loads.withLock { $0 } == 5)
    }
}
