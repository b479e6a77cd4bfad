import Foundation
import MsgLib
import Synchronization

/// The requests of each user under way on this relay, from authentication until the answer is ready: a user may have
/// ``limit`` at once, so that one account cannot take the database pool (and the relay's work) with requests it
/// multiplies. Admins are not counted, as the rate limits do not count them.
final class UserRequestGate: Sendable {
    /// The default of `HTTP_MAX_REQUESTS_PER_USER`.
    static let defaultLimit = 16

    let limit: Int
    private let counts = Mutex<[UUID: Int]>([:])

    init(limit: Int = UserRequestGate.defaultLimit) {
        self.limit = limit
    }

    /// Takes a place for one more request of `userId`; false when the user has ``limit`` under way.
    func enter(_ userId: UUID) -> Bool {
        counts.withLock { counts in
            guard counts[userId, default: 0] < limit else { return false }
            counts[userId, default: 0] += 1
            return true
        }
    }

    /// Gives back a place ``enter(_:)`` took.
    func leave(_ userId: UUID) {
        counts.withLock { counts in
            let left = counts[userId, default: 0] - 1
            counts[userId] = left > 0 ? left : nil
        }
    }
}
