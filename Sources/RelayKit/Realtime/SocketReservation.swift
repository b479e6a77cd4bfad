import Foundation
import Synchronization

/// A place among a user's sockets, taken when the upgrade is accepted and held until the socket registers with the hub
/// (which turns it into the registration) or ends: a socket waiting to join (for the feed, for a cursor from a relay
/// that is ahead) counts against ``RealtimeConfiguration/maxSocketsPerUser`` like a registered one. Released when
/// dropped, should the connection go before its socket exists.
final class SocketReservation: Sendable {
    let userId: UUID
    private let hub: Hub
    private let held = Atomic<Bool>(true)

    init(userId: UUID, hub: Hub) {
        self.userId = userId
        self.hub = hub
    }

    /// Gives up the place unless it was released or taken already: true when this call did.
    func take() -> Bool { held.exchange(false, ordering: .acquiringAndReleasing) }

    /// Gives the place back (once; nothing after ``take()``).
    func release() {
        if take() { hub.releaseReservation(of: userId) }
    }

    deinit { release() }
}
