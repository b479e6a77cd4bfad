import MsgLib

/// Who delivers what next in a ``CommitFeed``, without I/O. One holder at a time delivers (a connection that just
/// committed messages, or the feed's task); whoever comes while it does leaves their work here, and the holder takes it
/// all before it lets go, so nothing left here is forgotten and no two deliveries run at once.
struct CommitFeedState<Waiter> {
    /// One transaction this relay committed, with every message it inserted.
    struct Committed {
        var txid: UInt64
        var messages: [DeliverableMessage]
    }

    /// The holder's next work.
    enum Work {
        /// Deliver these transactions, and read a snapshot when `sweep` (which also delivers them).
        case deliver([Committed], sweep: Bool)
        /// Nothing left: the holder has let go.
        case none
    }

    /// Sweeps begun, counted from 1; a waiter's ticket is the first sweep to begin after it asked.
    private(set) var begun = 0
    /// The newest sweep that finished (0: none yet).
    private(set) var lastFinished = 0
    var waiters: [(ticket: Int, waiter: Waiter)] = []
    var stopped = false
    /// Someone holds the right to deliver.
    private(set) var busy = false
    /// A sweep (a snapshot read) was asked for.
    private(set) var sweepWanted = false
    /// Transactions left for the holder.
    private(set) var committed: [Committed] = []

    /// Leaves a committed transaction for delivery; true when the caller becomes the holder (it then calls ``next()``
    /// until it returns `.none`, or ``letGo(sweepWanted:)``).
    mutating func add(_ transaction: Committed) -> Bool {
        committed.append(transaction)
        return take()
    }

    /// Asks for a sweep; true when the caller becomes the holder.
    mutating func requestSweep() -> Bool {
        sweepWanted = true
        return take()
    }

    private mutating func take() -> Bool {
        if busy { return false }
        busy = true
        return true
    }

    /// The holder's next work: everything left since it last asked. With nothing left, the holder lets go.
    mutating func next() -> Work {
        precondition(busy, "next() without holding the right to deliver")
        guard !committed.isEmpty || sweepWanted else {
            busy = false
            return .none
        }
        defer {
            committed = []
            sweepWanted = false
        }
        return .deliver(committed, sweep: sweepWanted)
    }

    /// The holder lets go before it has done everything: after a failure, or to hand a sweep to the feed's task. With
    /// `sweepWanted`, the next holder sweeps (which delivers every transaction committed before it).
    mutating func letGo(sweepWanted: Bool) {
        busy = false
        if sweepWanted { self.sweepWanted = true }
    }

    /// A sweep begins: its ticket.
    mutating func begin() -> Int {
        begun += 1
        return begun
    }

    /// Sweep `ticket` has finished: the waiters it serves (removed).
    mutating func finished(_ ticket: Int) -> [(ticket: Int, waiter: Waiter)] {
        lastFinished = max(lastFinished, ticket)
        let ready = waiters.filter { $0.ticket <= ticket }
        waiters.removeAll { $0.ticket <= ticket }
        return ready
    }
}
