/// Which sends go to the database together: the decisions of ``SendBatcher``, without I/O.
///
/// At most `maxInFlight` batches are written at once. A send that arrives while a slot is free starts a batch at once
/// (no waiting when the database keeps up); otherwise it waits, and when a batch is written the next one takes the
/// sends waiting, oldest first, at most `maxBatch` and at most one per sender (one statement changes a sender's
/// rate-limit row once). Whoever starts or finishes a batch gets the next batch to write, so a slot is never idle
/// while sends wait.
package struct SendQueue<Item> {
    package let maxInFlight: Int
    package let maxBatch: Int
    /// Batches being written.
    package private(set) var inFlight = 0
    private var waiting: [(sender: AnyHashable, item: Item)] = []

    package init(maxInFlight: Int, maxBatch: Int) {
        precondition(maxInFlight > 0 && maxBatch > 0)
        self.maxInFlight = maxInFlight
        self.maxBatch = maxBatch
    }

    /// Sends waiting for a batch.
    package var waitingCount: Int { waiting.count }

    /// Adds a send; returns the batch to write now when a slot is free (it holds this send or older ones).
    package mutating func submit(_ item: Item, sender: AnyHashable) -> [Item]? {
        waiting.append((sender, item))
        guard inFlight < maxInFlight else { return nil }
        inFlight += 1
        return takeBatch()
    }

    /// A batch was written: returns the next one to write in its slot, or nil (the slot is free again).
    package mutating func finish() -> [Item]? {
        precondition(inFlight > 0, "finish without a batch in flight")
        guard !waiting.isEmpty else {
            inFlight -= 1
            return nil
        }
        return takeBatch()
    }

    private mutating func takeBatch() -> [Item] {
        var senders = Set<AnyHashable>()
        var batch: [Item] = []
        var rest: [(sender: AnyHashable, item: Item)] = []
        for entry in waiting {
            if batch.count < maxBatch, senders.insert(entry.sender).inserted {
                batch.append(entry.item)
            } else {
                rest.append(entry)
            }
        }
        waiting = rest
        return batch
    }
}
