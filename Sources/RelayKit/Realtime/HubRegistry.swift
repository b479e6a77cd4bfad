import Foundation

/// What the hub needs to know of a socket to route events to it.
protocol HubMember {
    /// The socket's own id, unique among connected sockets.
    var id: UUID { get }
    /// The signed-in user the socket belongs to; never changes while it is registered.
    var userID: UUID { get }
    /// True when that user is the admin.
    var isAdmin: Bool { get }
}

/// The sockets connected to this relay, by user, with the admins' sockets apart: a plain value, so routing can be
/// decided (and tested) without sockets.
struct HubRegistry<Socket: HubMember> {
    /// Every socket, by user id, then socket id.
    private(set) var byUser: [UUID: [UUID: Socket]] = [:]
    /// The admins' sockets, by socket id.
    private(set) var admins: [UUID: Socket] = [:]
    /// Sockets registered.
    private(set) var total = 0

    init() {}

    /// Adds a socket; registering one already there replaces it and counts it once.
    mutating func register(_ socket: Socket) {
        let previous = byUser[socket.userID, default: [:]].updateValue(socket, forKey: socket.id)
        if socket.isAdmin { admins[socket.id] = socket }
        if previous == nil { total += 1 }
    }

    /// Removes a socket; false when it was not registered.
    @discardableResult
    mutating func unregister(_ socket: Socket) -> Bool {
        guard byUser[socket.userID]?.removeValue(forKey: socket.id) != nil else { return false }
        if byUser[socket.userID]?.isEmpty == true { byUser[socket.userID] = nil }
        admins[socket.id] = nil
        total -= 1
        return true
    }

    /// The sockets of one user.
    func sockets(of userID: UUID) -> [Socket] {
        Array((byUser[userID] ?? [:]).values)
    }

    /// How many sockets one user has.
    func socketCount(of userID: UUID) -> Int {
        byUser[userID]?.count ?? 0
    }

    /// The admins' sockets.
    var adminSockets: [Socket] { Array(admins.values) }

    /// Every socket.
    var all: [Socket] { byUser.values.flatMap(\.values) }

    /// The sockets `matches` picks, read in place (no copy of the others).
    func sockets(where matches: (Socket) -> Bool) -> [Socket] {
        var found: [Socket] = []
        for sockets in byUser.values {
            for socket in sockets.values where matches(socket) { found.append(socket) }
        }
        return found
    }
}
