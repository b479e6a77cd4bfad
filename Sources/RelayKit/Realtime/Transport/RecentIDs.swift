import Foundation

/// The most recent ids seen, in a fixed-size window.
struct RecentIDs: Sendable {
    private var order: [UUID] = []
    private var members: Set<UUID> = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    func contains(_ id: UUID) -> Bool { members.contains(id) }

    /// Adds `id`; false when it was already there.
    mutating func insert(_ id: UUID) -> Bool {
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
