/// Which sends go to the database together: the decisions of ``SendBatcher``, without I/O.
///
/// At most `maxInFlight` batches are written at once. A send that arrives while a slot is free starts a batch at once
/// (no waiting when the database keeps up); otherwise it waits, and when a batch is written the next one takes the
/// sends waiting, oldest first, at most `maxBatch`, at most one per sender, and none whose sender has a send being
/// written (a sender's rows are changed by one statement at a time, in the order the sends came). Whoever starts or
/// finishes a batch gets the next batch to write, so a slot is never idle while a send it could take waits.
package struct SendQueue<Item, Sender: Hashable> {
    /// Sends written together, with their senders (handed back to ``finish(_:)`` once written).
    package struct Batch {
        package let items: [Item]
        package let senders: [Sender]

        package init(items: [Item], senders: [Sender]) {
            self.items = items
            self.senders = senders
        }
    }

    package let maxInFlight: Int
    package let maxBatch: Int
    /// Batches being written.
    package private(set) var inFlight = 0
    private var waiting: [(sender: Sender, item: Item)] = []
    /// Senders of the batches being written.
    private var writing = Set<Sender>()

    package init(maxInFlight: Int, maxBatch: Int) {
        precondition(maxInFlight > 0 && maxBatch > 0)
        self.maxInFlight = maxInFlight
        self.maxBatch = maxBatch
    }

    /// Sends waiting for a batch.
    package var waitingCount: Int { waiting.count }

    /// Adds a send; returns the batch to write now when a slot is free (it holds this send or older ones).
    package mutating func submit(_ item: Item, sender: Sender) -> Batch? {
        waiting.append((sender, item))
        guard inFlight < maxInFlight, let batch = takeBatch() else { return nil }
        inFlight += 1
        return batch
    }

    /// `batch` was written: returns the next one to write in its slot, or nil (the slot is free again).
    package mutating func finish(_ batch: Batch) -> Batch? {
        precondition(inFlight > 0, "finish without a batch in flight")
        writing.subtract(batch.senders)
        guard let batch = takeBatch() else {
            inFlight -= 1
            return nil
        }
        return batch
    }

    private mutating func takeBatch() -> Batch? {
        var senders: [Sender] = []
        var batch: [Item] = []
        var rest: [(sender: Sender, item: Item)] = []
        for entry in waiting {
            if batch.count < maxBatch, !writing.contains(entry.sender) {
                writing.insert(entry.sender)
                senders.append(entry.sender)
                batch.append(entry.item)
            } else {
                rest.append(entry)
            }
        }
        waiting = rest
        return batch.isEmpty ? nil : Batch(items: batch, senders: senders)
    }
}

extension SendQueue.Batch: Sendable where Item: Sendable, Sender: Sendable {}
