import Synchronization

/// The bytes of Slack request bodies being read before their signature can be checked (the signature covers the
/// body), counted as they arrive: anyone can send such a request, so all of them together may hold at most ``limit``
/// bytes of the relay's memory; a request whose bytes would pass it is answered 503 (Slack sends an event again; a
/// person clicks again). Holding room takes sending bytes, within the relay's body timeout.
final class UnverifiedBodies: Sendable {
    /// 32 MiB: 32 events of the largest size at once, far beyond what Slack sends one relay.
    static let defaultLimit = 32 << 20

    let limit: Int
    private let held = Mutex(0)

    init(limit: Int = UnverifiedBodies.defaultLimit) {
        self.limit = limit
    }

    /// Takes room for a body of at most `bytes`; false when there is none.
    func take(_ bytes: Int) -> Bool {
        held.withLock { held in
            guard held + bytes <= limit else { return false }
            held += bytes
            return true
        }
    }

    /// Gives back what ``take(_:)`` took.
    func give(_ bytes: Int) {
        held.withLock { $0 -= bytes }
    }
}
