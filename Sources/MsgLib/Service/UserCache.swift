import Foundation
import Synchronization

/// Users recently looked up by id, so that authenticating a request or a socket's frame does not cost a database round
/// trip. Only found users are kept: an unknown id is looked up every time.
///
/// A relay hears of every change to a user (a trigger announces it) and forgets that user at once (``forget(_:)``);
/// when it may have missed an announcement (its listener reconnected) it forgets them all. `lifetime` bounds how long a
/// user is kept in any case: 5 minutes, so that a user who sends every minute or two (most chat users) is not looked up
/// for each message. Sized, as ``VerifiedTokenCache``, for 50,000 users active within a lifetime.
final class UserCache: Sendable {
    private let entries = Mutex<[UUID: (user: User, expires: ContinuousClock.Instant)]>([:])
    let lifetime: Duration
    let capacity: Int

    init(lifetime: Duration = .seconds(300), capacity: Int = 50_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The cached user, or the one `load` finds (cached when found).
    func user(_ id: UUID, load: () async throws -> User?) async throws -> User? {
        let now = ContinuousClock.now
        if let hit = entries.withLock({ $0[id] }), hit.expires > now { return hit.user }
        guard let user = try await load() else { return nil }
        entries.withLock { entries in
            if entries.count >= capacity { entries.makeRoom(capacity: capacity) { $0.expires > now } }
            entries[id] = (user, now + lifetime)
        }
        return user
    }

    /// Forgets one user (it changed).
    func forget(_ id: UUID) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }

    /// Forgets every user.
    func forgetAll() {
        entries.withLock { $0.removeAll() }
    }
}

extension Dictionary {
    /// Makes room for one more entry in a cache full at `capacity`: drops the entries no longer `valid`, and when that
    /// frees less than a tenth, a tenth of the others too (any of them), so that a cache of live entries pays for this
    /// scan once every capacity/10 insertions, not at each.
    mutating func makeRoom(capacity: Int, keeping valid: (Value) -> Bool) {
        self = filter { valid($0.value) }
        let excess = count - (capacity - Swift.max(1, capacity / 10))
        if excess > 0 { removeFirst(excess) }
    }

    private mutating func removeFirst(_ n: Int) {
        for key in Array(keys.prefix(n)) { removeValue(forKey: key) }
    }
}
