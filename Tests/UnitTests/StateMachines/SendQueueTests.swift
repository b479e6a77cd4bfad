import TestSupport
import Testing

@testable import MsgLib

/// Items are (sender, number): what goes into which batch can be checked without any I/O.
private typealias Queue = SendQueue<Int>

@Suite struct SendQueueTests {
    @Test func aSendThatFindsASlotFreeIsWrittenAtOnceAlone() {
        var queue = Queue(maxInFlight: 2, maxBatch: 8)
        #expect(queue.submit(1, sender: "a") == [1])
        #expect(queue.submit(2, sender: "b") == [2])
        #expect(queue.inFlight == 2)
        #expect(queue.finish() == nil)
        #expect(queue.finish() == nil)
        #expect(queue.inFlight == 0)
        #expect(queue.submit(3, sender: "c") == [3])
    }

    @Test func sendsThatWaitGoTogetherOldestFirstWhenASlotFrees() {
        var queue = Queue(maxInFlight: 1, maxBatch: 8)
        #expect(queue.submit(1, sender: "a") == [1])
        for n in 2...5 { #expect(queue.submit(n, sender: "s\(n)") == nil) }
        #expect(queue.waitingCount == 4)
        #expect(queue.finish() == [2, 3, 4, 5])
        #expect(queue.inFlight == 1)
        #expect(queue.finish() == nil)
        #expect(queue.inFlight == 0)
    }

    @Test func aBatchHoldsOneSendPerSenderAndAtMostMaxBatch() {
        var queue = Queue(maxInFlight: 1, maxBatch: 3)
        #expect(queue.submit(0, sender: "x") == [0])
        let senders = ["a", "a", "b", "a", "c", "d", "b"]
        for (n, sender) in senders.enumerated() { #expect(queue.submit(n + 1, sender: sender) == nil) }
        #expect(queue.finish() == [1, 3, 5])  // a, b, c: the batch is full
        #expect(queue.finish() == [2, 6, 7])  // a, d, b
        #expect(queue.finish() == [4])  // the third a
        #expect(queue.finish() == nil)
        #expect(queue.inFlight == 0 && queue.waitingCount == 0)
    }

    /// Whatever the order of submits and finishes, every send is written exactly once, no batch holds a sender twice or
    /// more than maxBatch sends, no more than maxInFlight batches are written at once, and no send waits while a
    /// slot is free.
    @Test(arguments: 0..<100) func everySendIsWrittenOnceWhateverTheInterleaving(seed: UInt64) {
        var random = SplitMix64(seed: seed &+ 1)
        let maxInFlight = Int.random(in: 1...3, using: &random)
        let maxBatch = Int.random(in: 1...4, using: &random)
        var queue = Queue(maxInFlight: maxInFlight, maxBatch: maxBatch)
        var writing: [[Int]] = []
        var written: [Int] = []
        var next = 0
        func check(_ batch: [Int]?) {
            guard let batch else { return }
            #expect(!batch.isEmpty && batch.count <= maxBatch)
            #expect(Set(batch.map { $0 % 5 }).count == batch.count, "one send per sender: \(batch)")
            writing.append(batch)
        }
        while next < 60 || !writing.isEmpty {
            if next < 60, writing.isEmpty || Bool.random(using: &random) {
                check(queue.submit(next, sender: next % 5))
                next += 1
            } else if !writing.isEmpty {
                let done = writing.remove(at: Int.random(in: 0..<writing.count, using: &random))
                written += done
                check(queue.finish())
            }
            #expect(writing.count == queue.inFlight && queue.inFlight <= maxInFlight)
            #expect(queue.waitingCount == 0 || queue.inFlight == maxInFlight, "a send waits while a slot is free")
        }
        #expect(written.sorted() == Array(0..<60))
    }
}
