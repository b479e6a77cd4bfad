import Foundation

/// The most recent ids seen, in a fixed-size window (message ids by default; the commit feed keeps transaction ids).
struct RecentIDs<ID: Hashable & Sendable>: Sendable {
    private var order: [ID] = []
    private var members: Set<ID> = []
    private var next = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    init(capacity: Int) where ID == UUID {
        self.capacity = capacity
    }

    func contains(_ id: ID) -> Bool { members.contains(id) }

    /// Changes the window's size, keeping the most recent ids that fit.
    mutating func resize(to newCapacity: Int) {
        guard newCapacity != capacity else { return }
        let inOrder = Array(order[next...] + order[..<next])
        order = Array(inOrder.suffix(newCapacity))
        if order.count < inOrder.count { members = Set(order) }
        next = 0
        capacity = newCapacity
    }

    /// Adds `id`; false when it was already there.
    @discardableResult mutating func insert(_ id: ID) -> Bool {
        guard !members.contains(id) else { return false }
        if order.count < capacity {
            order.append(id)
        } else {
            members.remove(order[next])
            order[next] = id
            next = (next + 1) % capacity
        }
        members.insert(id)
        return true
    }
}
