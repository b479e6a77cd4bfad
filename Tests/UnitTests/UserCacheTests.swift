import Foundation
import Synchronization
import Testing

@testable import MsgLib

/// The user cache never keeps a user, or an id as unknown, as read before a change the relay has already heard of.
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
        let stale = try await Self.lookup(cache, id, reads: Self.user(id, admin: true)) {
            if forgetAll { cache.forgetAll() } else { cache.forget(id) }
        }
        #expect(stale?.isAdmin == true)
        #expect(try await cache.user(id, load: { Self.user(id, admin: false) })?.isAdmin == false)
    }

    /// A lookup of `id` in `cache` that reads `read`, with `meanwhile` run while it is under way; what it answered.
    static func lookup(_ cache: UserCache, _ id: UUID, reads read: User?, meanwhile: () -> Void) async throws -> User? {
        let (reading, readingContinuation) = AsyncStream<Void>.makeStream()
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let lookup = Task {
            try await cache.user(id) {
                readingContinuation.yield()
                for await _ in release { break }
                return read
            }
        }
        for await _ in reading { break }
        meanwhile()
        releaseContinuation.yield()
        return try await lookup.value
    }

    /// An id found unknown is kept as such (a deleted user's token repeated costs no lookup) until users are created,
    /// or for its lifetime; a user forgotten is looked up again.
    @Test func anUnknownIdIsKeptUntilUsersAreCreated() async throws {
        let cache = UserCache(unknownLifetime: .milliseconds(300))
        let id = UUID()
        let loads = Mutex(0)
        let exists = Mutex(false)
        let load: () async throws -> User? = {
            loads.withLock { $0 += 1 }
            return exists.withLock { $0 } ? Self.user(id, admin: false) : nil
        }
        #expect(try await cache.user(id, load: load) == nil)
        #expect(try await cache.user(id, load: load) == nil)
        #expect(loads.withLock { $0 } == 1)
        // Created: the announcement makes the cache forget every unknown id.
        exists.withLock { $0 = true }
        cache.forgetUnknown()
        #expect(try await cache.user(id, load: load)?.id == id)
        #expect(loads.withLock { $0 } == 2)
        // Users found stay when users are created.
        cache.forgetUnknown()
        #expect(try await cache.user(id, load: load)?.id == id)
        #expect(loads.withLock { $0 } == 2)
        // Unknown again (deleted), kept for its lifetime only.
        exists.withLock { $0 = false }
        cache.forget(id)
        #expect(try await cache.user(id, load: load) == nil)
        #expect(try await cache.user(id, load: load) == nil)
        #expect(loads.withLock { $0 } == 3)
        try await Task.sleep(for: .milliseconds(400))
        #expect(try await cache.user(id, load: load) == nil)
        #expect(loads.withLock { $0 } == 4)
    }

    /// A lookup that found no user while users were being created is not kept as unknown.
    @Test func aLookupUnderWayWhenUsersAreCreatedIsNotKeptUnknown() async throws {
        let cache = UserCache()
        let id = UUID()
        #expect(try await Self.lookup(cache, id, reads: nil) { cache.forgetUnknown() } == nil)
        #expect(try await cache.user(id, load: { Self.user(id, admin: false) })?.id == id)
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
