import TestSupport
import Testing

@testable import MsgLib

/// Items are numbers, senders strings or numbers: what goes into which batch can be checked without any I/O.
private typealias Queue = SendQueue<Int, String>

extension Queue {
    fileprivate mutating func add(_ item: Int, _ sender: String) -> [Int]? { submit(item, sender: sender)?.items }
    fileprivate mutating func done(_ senders: [String]) -> [Int]? {
        finish(Batch(items: [], senders: senders))?.items
    }
}

@Suite struct SendQueueTests {
    @Test func aSendThatFindsASlotFreeIsWrittenAtOnceAlone() {
        var queue = Queue(maxInFlight: 2, maxBatch: 8)
        let a = queue.add(1, "a")
        let b = queue.add(2, "b")
        #expect(a == [1] && b == [2])
        #expect(queue.inFlight == 2)
        let none = queue.done(["a"])
        #expect(none == nil)
        let stillNone = queue.done(["b"])
        #expect(stillNone == nil && queue.inFlight == 0)
        let c = queue.add(3, "c")
        #expect(c == [3])
    }

    @Test func sendsThatWaitGoTogetherOldestFirstWhenASlotFrees() {
        var queue = Queue(maxInFlight: 1, maxBatch: 8)
        let first = queue.add(1, "a")
        #expect(first == [1])
        for n in 2...5 {
            let started = queue.add(n, "s\(n)")
            #expect(started == nil)
        }
        #expect(queue.waitingCount == 4)
        let next = queue.done(["a"])
        #expect(next == [2, 3, 4, 5] && queue.inFlight == 1)
        let none = queue.done(["s2", "s3", "s4", "s5"])
        #expect(none == nil && queue.inFlight == 0)
    }

    @Test func aBatchHoldsOneSendPerSenderAndAtMostMaxBatch() {
        var queue = Queue(maxInFlight: 1, maxBatch: 3)
        let first = queue.add(0, "x")
        #expect(first == [0])
        let senders = ["a", "a", "b", "a", "c", "d", "b"]
        for (n, sender) in senders.enumerated() {
            let started = queue.add(n + 1, sender)
            #expect(started == nil)
        }
        let b1 = queue.done(["x"])
        #expect(b1 == [1, 3, 5])  // a, b, c: the batch is full
        let b2 = queue.done(["a", "b", "c"])
        #expect(b2 == [2, 6, 7])  // a, d, b
        let b3 = queue.done(["a", "d", "b"])
        #expect(b3 == [4])  // the third a
        let none = queue.done(["a"])
        #expect(none == nil && queue.inFlight == 0 && queue.waitingCount == 0)
    }

    @Test func aSenderBeingWrittenWaitsEvenWithASlotFree() {
        var queue = Queue(maxInFlight: 2, maxBatch: 8)
        let first = queue.add(1, "a")
        #expect(first == [1])
        // The second slot is free, but a's first send is being written: its second waits for it.
        let second = queue.add(2, "a")
        #expect(second == nil && queue.inFlight == 1)
        let other = queue.add(3, "b")
        #expect(other == [3] && queue.inFlight == 2)
        let next = queue.done(["a"])
        #expect(next == [2])
    }

    /// Whatever the order of submits and finishes, every send is written exactly once and in order for its sender, no
    /// batch holds a sender twice, more than maxBatch sends or a sender being written elsewhere, no more than
    /// maxInFlight batches are written at once, and no send waits while a slot is free and its sender is not written.
    @Test(arguments: 0..<100) func everySendIsWrittenOnceWhateverTheInterleaving(seed: UInt64) {
        var random = SplitMix64(seed: seed &+ 1)
        let maxInFlight = Int.random(in: 1...3, using: &random)
        let maxBatch = Int.random(in: 1...4, using: &random)
        var queue = Queue(maxInFlight: maxInFlight, maxBatch: maxBatch)
        var writing: [[Int]] = []
        var written: [Int] = []
        var next = 0
        func check(_ batch: Queue.Batch?) {
            guard let batch else { return }
            #expect(!batch.items.isEmpty && batch.items.count <= maxBatch)
            #expect(batch.senders == batch.items.map { "\($0 % 5)" })
            #expect(Set(batch.items.map { $0 % 5 }).count == batch.items.count, "one send per sender: \(batch)")
            let busy = Set(writing.joined().map { $0 % 5 })
            #expect(busy.isDisjoint(with: batch.items.map { $0 % 5 }), "a sender in two batches at once")
            writing.append(batch.items)
        }
        while next < 60 || !writing.isEmpty {
            if next < 60, writing.isEmpty || Bool.random(using: &random) {
                check(queue.submit(next, sender: "\(next % 5)"))
                next += 1
            } else if !writing.isEmpty {
                let done = writing.remove(at: Int.random(in: 0..<writing.count, using: &random))
                written += done
                check(queue.finish(Queue.Batch(items: done, senders: done.map { "\($0 % 5)" })))
            }
            #expect(writing.count == queue.inFlight && queue.inFlight <= maxInFlight)
            if queue.inFlight < maxInFlight {
                let busy = Set(writing.joined().map { $0 % 5 })
                #expect(queue.waitingCount == 0 || busy.count > 0, "a send waits while a slot is free")
            }
        }
        #expect(written.sorted() == Array(0..<60))
        for sender in 0..<5 {
            let order = written.filter { $0 % 5 == sender }
            #expect(order == order.sorted(), "sender \(sender) out of order: \(order)")
        }
    }
}
