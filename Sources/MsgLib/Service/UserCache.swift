import Foundation
import Synchronization

/// Users recently looked up by id, kept for a few seconds so that authenticating each request does not cost a
/// database round trip. Only found users are kept: an unknown id is looked up every time.
///
/// A change to a user (admin flag, deletion) reaches a relay within `lifetime`.
final class UserCache: Sendable {
    private let entries = Mutex<[UUID: (user: User, expires: ContinuousClock.Instant)]>([:])
    let lifetime: Duration
    let capacity: Int

    init(lifetime: Duration = .seconds(5), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The cached user, or the one `load` finds (cached when found).
    func user(_ id: UUID, load: () async throws -> User?) async throws -> User? {
        let now = ContinuousClock.now
        if let hit = entries.withLock({ $0[id] }), hit.expires > now { return hit.user }
        guard let user = try await load() else { return nil }
        entries.withLock { entries in
            if entries.count >= capacity { entries = entries.filter { $0.value.expires > now } }
            if entries.count < capacity { entries[id] = (user, now + lifetime) }
        }
        return user
    }
}
