import Synchronization

/// A bounded queue of encoded frames between the code that delivers them and one socket's writer task.
///
/// Live deliveries use ``offer(_:)``, which never waits and reports a full queue (the client stopped reading);
/// replays use ``push(_:)``, which waits for room, so a long replay is paced by the socket instead of
/// counting as a slow client.
final class FrameQueue: Sendable {
    private struct State {
        var items: [String] = []
        var head = 0
        var finished = false
        var consumer: CheckedContinuation<String?, Never>?
        var spaceWaiters: [CheckedContinuation<Void, Never>] = []
        var count: Int { items.count - head }
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Queues `frame` unless the queue is full; false when full.
    func offer(_ frame: String) -> Bool {
        let (accepted, consumer): (Bool, CheckedContinuation<String?, Never>?) = state.withLock { state in
            guard !state.finished else { return (true, nil) }
            if let consumer = state.consumer {
                state.consumer = nil
                return (true, consumer)
            }
            guard state.count < capacity else { return (false, nil) }
            state.items.append(frame)
            return (true, nil)
        }
        consumer?.resume(returning: frame)
        return accepted
    }

    /// Queues `frame`, waiting while the queue is full.
    func push(_ frame: String) async {
        while true {
            if offer(frame) { return }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wait = state.withLock { state -> Bool in
                    guard !state.finished, state.count >= capacity else { return false }
                    state.spaceWaiters.append(continuation)
                    return true
                }
                if !wait { continuation.resume() }
            }
            if state.withLock({ $0.finished }) { return }
        }
    }

    /// The next frame, or nil once the queue is finished and drained.
    func next() async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let (item, waiters, done): (String?, [CheckedContinuation<Void, Never>], Bool) = state.withLock { state in
                if state.count > 0 {
                    let item = state.items[state.head]
                    state.head += 1
                    if state.head > 64, state.head * 2 > state.items.count {
                        state.items.removeFirst(state.head)
                        state.head = 0
                    }
                    let waiters = state.spaceWaiters
                    state.spaceWaiters = []
                    return (item, waiters, false)
                }
                if state.finished { return (nil, [], true) }
                state.consumer = continuation
                return (nil, [], false)
            }
            for waiter in waiters { waiter.resume() }
            if item != nil || done { continuation.resume(returning: item) }
        }
    }

    /// No more frames will come; the consumer drains what is queued, then gets nil.
    func finish() {
        let (consumer, waiters) = state.withLock { state in
            state.finished = true
            let consumer = state.count == 0 ? state.consumer : nil
            if consumer != nil { state.consumer = nil }
            let waiters = state.spaceWaiters
            state.spaceWaiters = []
            return (consumer, waiters)
        }
        consumer?.resume(returning: nil)
        for waiter in waiters { waiter.resume() }
    }
}
