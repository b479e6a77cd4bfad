import Foundation
import Hummingbird
import MsgLib
import Synchronization

/// The requests of each user under way on this relay, from authentication until the answer is ready (a file download:
/// until its body is sent, ``Place/holding(_:)``): a user may have ``limit`` at once, so that one account cannot take
/// the database pool (and the relay's work, or its files and connections) with requests it multiplies. Admins are not
/// counted, as the rate limits do not count them.
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

    /// A place for one more request of `userId`, given back by ``Place/leave()`` (or when the place is dropped).
    /// - Throws: ``full`` (429 with `Retry-After`) when the user has ``limit`` under way.
    func place(for userId: UUID) throws -> Place {
        guard enter(userId) else { throw Self.full }
        return Place(gate: self, userId: userId)
    }

    /// The refusal of one request more than ``limit``.
    static let full = ServiceError(.rateLimited, "Too many requests at once; wait for the ones under way", retryAfter: 1)

    /// A request's place in the gate, given back once: when the request's answer is ready, or, for an answer whose body
    /// streams, once the body is sent, fails, or is dropped unsent (the place goes with the last reference to it).
    final class Place: Sendable {
        private let gate: UserRequestGate
        private let userId: UUID
        private let left = Atomic<Bool>(false)
        private let held = Atomic<Bool>(false)

        fileprivate init(gate: UserRequestGate, userId: UUID) {
            self.gate = gate
            self.userId = userId
        }

        deinit { leave() }

        /// Gives the place back, once.
        func leave() {
            if !left.exchange(true, ordering: .acquiringAndReleasing) { gate.leave(userId) }
        }

        /// Whether ``holding(_:)`` took the place over.
        var isHeld: Bool { held.load(ordering: .acquiring) }

        /// `body`, holding this place until it is written (or dropped unwritten).
        func holding(_ body: ResponseBody) -> ResponseBody {
            held.store(true, ordering: .releasing)
            return ResponseBody(contentLength: body.contentLength) { writer in
                defer { self.leave() }
                try await body.write(writer)
            }
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
