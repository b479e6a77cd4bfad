import Foundation
import Synchronization

/// Users recently looked up by id, so that authenticating a request or a socket's frame does not cost a database round
/// trip. An id found unknown (a deleted user's token) is kept as such for ``unknownLifetime``, so that a client repeating
/// such a token cannot make every request a lookup; creating users (announced too) forgets the unknown ids.
///
/// A relay hears of every change to a user (a trigger announces it) and forgets that user at once (``forget(_:)``).
/// Users are kept only while such announcements reach the relay (``follow(_:)``): while its listener is down every
/// lookup reads the database, and when it is back (a change may have been missed) the cache starts empty. A process
/// that hears no announcements (msgctl) never keeps a user. `lifetime` bounds how long a
/// user is kept in any case: 5 minutes, so that a user who sends every minute or two (most chat users) is not looked up
/// for each message. Sized, as ``VerifiedTokenCache``, for 50,000 users active within a lifetime.
///
/// A user read from the database before a change and stored after the relay forgot that user would be kept as it was:
/// a lookup that was under way when any user was forgotten returns what it read but does not keep it.
final class UserCache: Sendable {
    private struct State {
        /// A nil user: the id was found unknown.
        var entries: [UUID: (user: User?, expires: ContinuousClock.Instant)] = [:]
        /// How many times users were forgotten.
        var forgets: UInt64 = 0
        /// True while changes to users are announced to this process: only then are users kept.
        var followed: Bool
    }

    private let state: Mutex<State>
    let lifetime: Duration
    /// How long an unknown id is kept as unknown (unless users are created meanwhile).
    let unknownLifetime: Duration
    let capacity: Int

    /// - Parameter followed: whether changes are announced from the start (else users are kept once ``follow(_:)``
    ///   says so).
    init(lifetime: Duration = .seconds(300), unknownLifetime: Duration = .seconds(60), capacity: Int = 50_000, followed: Bool = true) {
        self.lifetime = lifetime
        self.unknownLifetime = unknownLifetime
        self.capacity = capacity
        state = Mutex(State(followed: followed))
    }

    /// The cached user (nil: kept as unknown), or what `load` finds (kept, found or not).
    func user(_ id: UUID, load: () async throws -> User?) async throws -> User? {
        let now = ContinuousClock.now
        let (hit, forgets) = state.withLock { ($0.entries[id], $0.forgets) }
        if let hit, hit.expires > now { return hit.user }
        let user = try await load()
        state.withLock { state in
            guard state.followed, state.forgets == forgets else { return }
            if state.entries.count >= capacity { state.entries.makeRoom(capacity: capacity) { $0.expires > now } }
            state.entries[id] = (user, now + (user == nil ? unknownLifetime : lifetime))
        }
        return user
    }

    /// Forgets the ids kept as unknown (users were created).
    func forgetUnknown() {
        state.withLock { state in
            state.entries = state.entries.filter { $0.value.user != nil }
            state.forgets += 1
        }
    }

    /// Forgets one user (it changed).
    func forget(_ id: UUID) {
        state.withLock { state in
            state.entries.removeValue(forKey: id)
            state.forgets += 1
        }
    }

    /// Forgets every user.
    func forgetAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.forgets += 1
        }
    }

    /// Whether changes to users are announced to this process from now on. Either way every user is forgotten: when
    /// announcements stop, the next change would go unheard; when they start again, changes may have been missed.
    func follow(_ followed: Bool) {
        state.withLock { state in
            state.entries.removeAll()
            state.forgets += 1
            state.followed = followed
        }
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
