import Foundation
import TestSupport
import Testing

@testable import RelayKit

private typealias Reason = ConnectionStateMachine.CloseReason

/// The id of message `n`: the same for the same `n`.
private func messageID(_ n: Int) -> UUID {
    UUID(uuidString: String(format: "00000000-0000-4000-8000-%012x", n))!
}

/// The `message` frame of message `n`; its text is `m<n>`.
private func message(_ n: Int) -> OutgoingFrame { OutgoingFrame(json: "m\(n)", messageId: messageID(n)) }

/// A frame without a message id (pong, typing, error...).
private func plain(_ text: String) -> OutgoingFrame { OutgoingFrame(json: text, messageId: nil) }

private let deadline = ConnectionStateMachine.closeDeadline

extension ConnectionStateMachine {
    /// Runs one flush to its end; returns every step.
    fileprivate mutating func drain(isWritable: Bool = true) -> [FlushAction] {
        var steps: [FlushAction] = []
        while true {
            let step = flushStep(isWritable: isWritable)
            steps.append(step)
            if case .write = step { continue }
            return steps
        }
    }
}

@Suite struct ConnectionStateMachineTests {
    @Test func sendQueuesAndClaimsOneFlush() {
        var machine = ConnectionStateMachine(capacity: 8)
        #expect(machine.send(plain("a")) == .scheduleFlush)
        #expect(machine.send(plain("b")) == .none)
        #expect(machine.send(message(1)) == .none)
        #expect(machine.isFlushScheduled)
        #expect(machine.queuedCount == 3 && machine.liveQueued == 3)
        #expect(machine.drain() == [.write("a"), .write("b"), .write("m1"), .stop])
        #expect(!machine.isFlushScheduled && machine.liveQueued == 0)
        #expect(machine.send(plain("c")) == .scheduleFlush)
    }

    @Test(arguments: [1, 2, 3, 8, 64, 256])
    func overflowClosesAsSlowConsumerExactlyOnce(capacity: Int) {
        var machine = ConnectionStateMachine(capacity: capacity)
        for n in 0..<capacity { #expect(machine.send(message(n)) == (n == 0 ? .scheduleFlush : .none)) }
        #expect(machine.liveQueued == capacity)
        #expect(machine.send(message(capacity)) == .closeChannel)
        #expect(machine.closeReason == .slowConsumer)
        #expect(machine.liveQueued == capacity)
        for n in 0..<3 { #expect(machine.send(plain("late \(n)")) == .none) }
        #expect(machine.close(.goingAway) == .none)
        #expect(machine.close(.slowConsumer) == .none)
        #expect(machine.closeReason == .slowConsumer)
    }

    @Test(arguments: [1, 2, 5, 16])
    func writtenFramesFreeTheirPlace(capacity: Int) {
        var machine = ConnectionStateMachine(capacity: capacity)
        for n in 0..<capacity { _ = machine.send(plain("\(n)")) }
        #expect(machine.flushStep(isWritable: true) == .write("0"))
        #expect(machine.send(plain("next")) == .none)
        #expect(machine.liveQueued == capacity)
        #expect(machine.send(plain("one too many")) == .closeChannel)
    }

    @Test func aPublishedBatchCountsAsOneLiveFrameWhateverItsLength() {
        var machine = ConnectionStateMachine(capacity: 4, maxBytes: 1 << 20)
        #expect(machine.send(batch: (0..<1000).map(message)) == .scheduleFlush)
        #expect(machine.liveQueued == 1 && machine.queuedCount == 1000)
        // Messages it already got are dropped from a batch; a batch of nothing but those queues nothing.
        #expect(machine.send(batch: [message(5), message(1000)]) == .none)
        #expect(machine.liveQueued == 2 && machine.queuedCount == 1001)
        #expect(machine.send(batch: [message(5)]) == .none && machine.liveQueued == 2)
        // Written, its place is free again once its first frame is.
        #expect(machine.drain().count == 1002)
        #expect(machine.liveQueued == 0)
        // A client that reads nothing: batches count against the capacity, and their bytes against the budget.
        for n in 0..<4 { _ = machine.send(batch: [message(2000 + 2 * n), message(2001 + 2 * n)]) }
        #expect(machine.send(batch: [message(3000)]) == .closeChannel)
        #expect(machine.closeReason == .slowConsumer)
        var small = ConnectionStateMachine(capacity: 256, maxBytes: 100)
        #expect(small.send(batch: (0..<50).map(message)) == .closeChannel)
    }

    @Test func duplicateMessagesAreDropped() {
        var machine = ConnectionStateMachine(capacity: 2)
        _ = machine.send(message(1))
        for _ in 0..<10 { #expect(machine.send(message(1)) == .none) }
        #expect(machine.liveQueued == 1)
        _ = machine.drain()
        #expect(machine.send(message(1)) == .none)
        #expect(machine.queuedCount == 0)
        // Frames without an id are never de-duplicated.
        #expect(machine.send(plain("pong")) == .scheduleFlush)
        #expect(machine.send(plain("pong")) == .none)
        #expect(machine.queuedCount == 2)
    }

    @Test func aDuplicateIsDroppedBeforeTheCapacityIsChecked() {
        var machine = ConnectionStateMachine(capacity: 1)
        #expect(machine.send(message(1)) == .scheduleFlush)
        #expect(machine.send(message(1)) == .none)
        #expect(machine.closeReason == nil)
        #expect(machine.send(message(2)) == .closeChannel)
    }

    @Test func idsAreRememberedInAWindow() {
        var machine = ConnectionStateMachine(capacity: 10, recentMessages: 2)
        for n in 1...3 { _ = machine.send(message(n)) }
        #expect(machine.send(message(1)) == .none)
        #expect(machine.queuedCount == 4)
        #expect(machine.send(message(3)) == .none)
        #expect(machine.queuedCount == 4)
    }

    @Test func replayHoldsLiveFramesAndSendsEachMessageOnce() {
        var machine = ConnectionStateMachine(capacity: 4)
        #expect(machine.send(plain("connected")) == .scheduleFlush)
        machine.beginReplay()
        #expect(machine.isReplaying)
        #expect(machine.send(message(2)) == .none)
        #expect(machine.send(plain("typing")) == .none)
        #expect(machine.send(message(3)) == .none)
        #expect(machine.send(message(3)) == .none)
        #expect(machine.heldCount == 4 && machine.queuedCount == 1)
        #expect(machine.finishReplay([message(1), message(2), plain("replayed")]) == .none)  // the flush is still claimed
        #expect(!machine.isReplaying && machine.heldCount == 0)
        #expect(machine.drain() == ["connected", "m1", "m2", "replayed", "typing", "m3"].map { .write($0) } + [.stop])
        #expect(machine.send(message(1)) == .none)
        #expect(machine.send(message(4)) == .scheduleFlush)
    }

    /// A client catching up asks page after page; a live message it got meanwhile comes again in a later page, after
    /// more messages than the usual window remembers: it is still not sent twice.
    @Test func aLiveMessageIsNotSentAgainByTheCatchUpThatFollows() {
        func replayed(_ machine: inout ConnectionStateMachine, _ numbers: [Int], catchingUp: Bool) -> [String] {
            machine.beginReplay()
            _ = machine.finishReplay(numbers.map(message), catchingUp: catchingUp)
            return machine.drain().compactMap { if case .write(let text) = $0 { text } else { nil } }
        }
        for catchingUp in [true, false] {
            var machine = ConnectionStateMachine(capacity: 4, recentMessages: 8, catchUpMessages: 100)
            #expect(replayed(&machine, Array(0..<10), catchingUp: catchingUp).count == 10)
            _ = machine.send(message(1000))
            #expect(machine.drain().count == 2)
            for page in 1..<5 { _ = replayed(&machine, Array(page * 10..<page * 10 + 10), catchingUp: catchingUp) }
            // The last page, with the live message in it; the replay is whole.
            let last = replayed(&machine, Array(50..<55) + [1000], catchingUp: false)
            #expect(last.contains("m1000") == !catchingUp)
            // Whole again, the window is back to its usual size: the newest ids are kept.
            #expect(replayed(&machine, [54], catchingUp: false).isEmpty)
        }
    }

    /// A client that asks for no next page (it reloads through REST) lets live messages go by: once more than the
    /// usual window went out, the window shrinks back to it.
    @Test func theCatchUpWindowShrinksWhenNoNextPageComes() {
        var machine = ConnectionStateMachine(capacity: 64, recentMessages: 8, catchUpMessages: 100)
        machine.beginReplay()
        _ = machine.finishReplay((0..<10).map(message), catchingUp: true)
        _ = machine.drain()
        for n in 0..<8 { _ = machine.send(message(100 + n)) }
        _ = machine.drain()
        // Eight live messages: the window still holds the page.
        #expect(machine.send(message(0)) == .none && machine.queuedCount == 0)
        _ = machine.send(message(108))
        _ = machine.drain()
        // The ninth: back to the usual eight, the page forgotten.
        #expect(machine.send(message(0)) == .scheduleFlush)
    }

    @Test func aBatchHeldDuringAReplayTakesOnePlace() {
        var machine = ConnectionStateMachine(capacity: 4, maxBytes: 1 << 20)
        machine.beginReplay()
        // Longer than the places a replay may hold (16): one place, as when it is queued live.
        #expect(machine.send(batch: (0..<1000).map(message)) == .none)
        for n in 0..<15 { #expect(machine.send(plain("held \(n)")) == .none) }
        #expect(machine.heldCount == 1015)
        #expect(machine.finishReplay([]) == .scheduleFlush)
        #expect(machine.drain().count == 1016)
        // Held places start again at the next replay; the one beyond them closes it.
        machine.beginReplay()
        for n in 0..<16 { #expect(machine.send(batch: [message(2000 + 2 * n), message(2001 + 2 * n)]) == .none) }
        #expect(machine.send(batch: [message(3000)]) == .closeChannel)
    }

    @Test func finishingAReplayClaimsAFlushEvenWithNothingToSend() {
        var machine = ConnectionStateMachine(capacity: 4)
        machine.beginReplay()
        #expect(machine.finishReplay([]) == .scheduleFlush)
        #expect(machine.drain() == [.stop])
    }

    @Test(arguments: [1, 2, 3, 10])
    func tooManyHeldFramesCloseAsSlowConsumer(capacity: Int) {
        var machine = ConnectionStateMachine(capacity: capacity)
        machine.beginReplay()
        for n in 0..<capacity * 4 { #expect(machine.send(message(n % 2)) == .none) }  // duplicates count while held
        #expect(machine.heldCount == capacity * 4)
        #expect(machine.send(plain("one too many")) == .closeChannel)
        #expect(machine.closeReason == .slowConsumer)
        #expect(machine.send(plain("late")) == .none)
        // The replay is not finished: the connection is closing.
        #expect(machine.finishReplay([message(7)]) == .none)
        #expect(machine.isReplaying && machine.queuedCount == 0)
    }

    @Test(arguments: [1, 2, 3, 10])
    func replayedAndHeldFramesDoNotCountAgainstLiveCapacity(capacity: Int) {
        var machine = ConnectionStateMachine(capacity: capacity)
        machine.beginReplay()
        for n in 0..<capacity * 4 { _ = machine.send(plain("held \(n)")) }
        #expect(machine.finishReplay((0..<capacity * 10).map(message)) == .scheduleFlush)
        #expect(machine.queuedCount == capacity * 14 && machine.liveQueued == 0)
        for n in 0..<capacity { #expect(machine.send(plain("live \(n)")) == .none) }
        #expect(machine.liveQueued == capacity)
        #expect(machine.send(plain("one too many")) == .closeChannel)
    }

    @Test(arguments: [Reason.goingAway, .idle, .refused(4401, "Invalid token"), .refused(1011, "Database unavailable")])
    func closeFlushesTheQueueThenSendsOneCloseFrame(reason: ConnectionStateMachine.CloseReason) {
        var machine = ConnectionStateMachine(capacity: 8)
        for n in 0..<3 { _ = machine.send(message(n)) }
        #expect(machine.close(reason) == .none)  // the flush is already claimed
        #expect(machine.closeReason == reason)
        #expect(machine.send(message(9)) == .none)
        #expect(machine.drain() == [.write("m0"), .write("m1"), .write("m2"), .writeCloseFrame(reason, closeChannelAfter: .seconds(3))])
        #expect(machine.closeFrameSent)
        #expect(machine.drain() == [.stop])
        #expect(machine.close(.goingAway) == .none)
        #expect(machine.closeNow(.goingAway) == .none)
    }

    @Test(arguments: [Reason.goingAway, .idle, .refused(4403, "Origin not allowed")])
    func closeOfAnIdleConnectionClaimsAFlush(reason: ConnectionStateMachine.CloseReason) {
        var machine = ConnectionStateMachine(capacity: 8)
        #expect(machine.close(reason) == .scheduleFlush)
        #expect(machine.drain() == [.writeCloseFrame(reason, closeChannelAfter: deadline)])
    }

    @Test func closeWaitsForTheChannelToTakeTheQueue() {
        var machine = ConnectionStateMachine(capacity: 8)
        _ = machine.send(plain("a"))
        _ = machine.send(plain("b"))
        _ = machine.close(.goingAway)
        #expect(machine.flushStep(isWritable: false) == .stop)
        #expect(!machine.isFlushScheduled)
        #expect(machine.flushStep(isWritable: true) == .write("a"))
        #expect(machine.flushStep(isWritable: false) == .stop)
        #expect(machine.drain() == [.write("b"), .writeCloseFrame(.goingAway, closeChannelAfter: deadline)])
    }

    @Test func theCloseFrameNeedsAnEmptyQueueNotAWritableChannel() {
        var machine = ConnectionStateMachine(capacity: 8)
        _ = machine.close(.idle)
        #expect(machine.flushStep(isWritable: false) == .writeCloseFrame(.idle, closeChannelAfter: deadline))
    }

    @Test func slowConsumerCloseDoesNotFlush() {
        var machine = ConnectionStateMachine(capacity: 8)
        #expect(machine.close(.slowConsumer) == .closeChannel)
        #expect(!machine.isFlushScheduled)

        var busy = ConnectionStateMachine(capacity: 8)
        _ = busy.send(plain("a"))
        _ = busy.drain(isWritable: false)
        _ = busy.send(plain("b"))
        #expect(busy.close(.slowConsumer) == .closeChannel)
        #expect(busy.queuedCount == 2)
    }

    /// As before: a flush that runs anyway (one already scheduled, or the channel turning writable before it
    /// closes) still writes the queue and then a 1008 close frame.
    @Test func aFlushAfterASlowConsumerCloseStillEndsWithACloseFrame() {
        var machine = ConnectionStateMachine(capacity: 2)
        _ = machine.send(plain("a"))
        _ = machine.send(plain("b"))
        #expect(machine.send(plain("c")) == .closeChannel)
        #expect(machine.drain() == [.write("a"), .write("b"), .writeCloseFrame(.slowConsumer, closeChannelAfter: deadline)])
    }

    /// A connection whose close waits for a queue the client no longer reads (after a failed replay, or any close) is
    /// cut off when found stalled, as a slow consumer: its close frame would never get through.
    @Test(arguments: [Reason.goingAway, .idle, .refused(1013, "Try again later")])
    func aStalledClosingConnectionIsCutOffAsASlowConsumer(reason: ConnectionStateMachine.CloseReason) {
        var failed = ConnectionStateMachine(capacity: 8)
        _ = failed.send(plain("a"))
        failed.beginReplay()
        _ = failed.failReplay([plain("error")], close: reason)
        #expect(failed.close(.goingAway) == .none)
        #expect(failed.close(.slowConsumer) == .closeChannel)
        #expect(failed.close(.slowConsumer) == .closeChannel)
        var closing = ConnectionStateMachine(capacity: 8)
        _ = closing.send(plain("a"))
        _ = closing.close(reason)
        #expect(closing.close(.slowConsumer) == .closeChannel)
        // Once its close frame went out the connection ends by itself: nothing to cut.
        #expect(closing.drain() == [.write("a"), .writeCloseFrame(reason, closeChannelAfter: deadline)])
        #expect(closing.close(.slowConsumer) == .none)
    }

    @Test func finishDropsEverythingAndIgnoresWhatFollows() {
        var machine = ConnectionStateMachine(capacity: 8)
        _ = machine.send(plain("a"))
        _ = machine.send(plain("b"))
        machine.beginReplay()
        _ = machine.send(plain("held"))
        machine.finish()
        #expect(machine.isFinished)
        #expect(machine.queuedCount == 0 && machine.heldCount == 0 && machine.liveQueued == 0)
        #expect(machine.isFlushScheduled)  // a scheduled flush still runs, and finds nothing
        #expect(machine.send(plain("c")) == .none)
        #expect(machine.finishReplay([message(1)]) == .none)
        #expect(machine.close(.goingAway) == .none)
        #expect(machine.close(.slowConsumer) == .none)
        #expect(machine.closeReason == nil)
        #expect(machine.closeNow(.refused(1002, "unexpected opcode")) == .none)
        #expect(machine.drain() == [.stop])
        #expect(!machine.isFlushScheduled && !machine.closeFrameSent)
    }

    @Test func finishWhileClosingSendsNoCloseFrame() {
        var machine = ConnectionStateMachine(capacity: 8)
        _ = machine.send(plain("a"))
        _ = machine.close(.goingAway)
        machine.finish()
        #expect(machine.closeReason == .goingAway)
        #expect(machine.drain() == [.stop])
        #expect(!machine.closeFrameSent)
    }

    @Test func closeNowDropsTheQueueAndSendsOneCloseFrame() {
        var machine = ConnectionStateMachine(capacity: 8)
        for n in 0..<5 { _ = machine.send(message(n)) }
        let reason = Reason.refused(1002, "unexpected opcode")
        #expect(machine.closeNow(reason) == .writeCloseFrame(reason, closeChannelAfter: .seconds(3)))
        #expect(machine.queuedCount == 0 && machine.liveQueued == 0)
        #expect(machine.closeFrameSent && machine.closeReason == reason)
        #expect(machine.closeNow(reason) == .none)
        #expect(machine.closeNow(.refused(1009, "frame too large")) == .none)
        #expect(machine.send(message(9)) == .none)
        #expect(machine.close(.goingAway) == .none)
        #expect(machine.drain() == [.stop])
    }

    @Test(arguments: [Reason.goingAway, .idle, .slowConsumer])
    func closeNowOverridesACloseStillFlushing(first: ConnectionStateMachine.CloseReason) {
        var machine = ConnectionStateMachine(capacity: 8)
        _ = machine.send(plain("a"))
        _ = machine.close(first)
        let reason = Reason.refused(1009, "frame too large")
        #expect(machine.closeNow(reason) == .writeCloseFrame(reason, closeChannelAfter: deadline))
        #expect(machine.closeReason == reason)
        #expect(machine.drain() == [.stop])
    }

    @Test func closeNowAfterTheCloseFrameIsIgnored() {
        var machine = ConnectionStateMachine(capacity: 8)
        _ = machine.close(.idle)
        _ = machine.drain()
        #expect(machine.closeNow(.refused(1002, "unexpected opcode")) == .none)
        #expect(machine.closeReason == .idle)
    }

    @Test func closeNowDuringAReplayKeepsTheHeldFramesUntilFinish() {
        var machine = ConnectionStateMachine(capacity: 8)
        machine.beginReplay()
        _ = machine.send(plain("held"))
        _ = machine.closeNow(.refused(1002, "invalid fragmentation"))
        #expect(machine.heldCount == 1)
        #expect(machine.finishReplay([]) == .none)
        machine.finish()
        #expect(machine.heldCount == 0)
    }

    @Test func theFlushClaimLastsUntilTheQueueEmptiesOrTheChannelStopsTakingFrames() {
        var machine = ConnectionStateMachine(capacity: 100)
        #expect(machine.send(plain("a")) == .scheduleFlush)
        #expect(machine.send(plain("b")) == .none)
        #expect(machine.finishReplay([]) == .none)
        #expect(machine.flushStep(isWritable: true) == .write("a"))
        #expect(machine.send(plain("c")) == .none)
        #expect(machine.flushStep(isWritable: false) == .stop)
        #expect(!machine.isFlushScheduled)
        #expect(machine.send(plain("d")) == .scheduleFlush)
        #expect(machine.drain() == [.write("b"), .write("c"), .write("d"), .stop])
        #expect(machine.close(.goingAway) == .scheduleFlush)
    }

    @Test(
        arguments: [
            (Reason.goingAway, 1001, "server shutting down"), (.idle, 1000, "idle timeout"), (.slowConsumer, 1008, "not reading"),
            (.refused(4401, "Invalid token"), 4401, "Invalid token"), (.refused(1002, "unexpected opcode"), 1002, "unexpected opcode"),
        ] as [(ConnectionStateMachine.CloseReason, UInt16, String)])
    func closeCodesAndReasons(expected: (reason: ConnectionStateMachine.CloseReason, code: UInt16, text: String)) {
        #expect(expected.reason.code == expected.code)
        #expect(expected.reason.reason == expected.text)
    }

    @Test func theCloseDeadlineIsThreeSeconds() {
        #expect(ConnectionStateMachine.closeDeadline == .seconds(3))
    }

    @Test(arguments: [1, 63, 64, 65, 1000])
    func framesComeOutInOrderThroughLongRuns(batch: Int) {
        var machine = ConnectionStateMachine(capacity: 100_000)
        var sent = 0
        var written: [String] = []
        for round in 0..<20 {
            for _ in 0..<batch + round {
                _ = machine.send(plain("\(sent)"))
                sent += 1
            }
            for _ in 0..<(batch + round) * 2 / 3 {
                guard case .write(let text) = machine.flushStep(isWritable: true) else { break }
                written.append(text)
            }
        }
        for case .write(let text) in machine.drain() { written.append(text) }
        #expect(written == (0..<sent).map(String.init))
        #expect(machine.liveQueued == 0 && machine.queuedCount == 0)
    }

    @Test(arguments: [1, 2, 3, 7])
    func recentIDsRemembersTheLastCapacityIDs(capacity: Int) {
        var recent = RecentIDs(capacity: capacity)
        for n in 0..<capacity * 3 {
            let (added, addedAgain) = (recent.insert(messageID(n)), recent.insert(messageID(n)))
            #expect(added && !addedAgain)
            for old in max(0, n - capacity + 1)...n { #expect(recent.contains(messageID(old))) }
            if n >= capacity { #expect(!recent.contains(messageID(n - capacity))) }
        }
    }

    /// Random event sequences: the machine (through a copy of the new shell) does on the channel exactly what the
    /// ClientConnection it replaces did, and keeps its promises at every step.
    @Test(arguments: 0..<300)
    func randomSequencesMatchTheConnectionItReplaces(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        let capacity = [1, 2, 3, 4, 8][Int(random.next() % 5)]
        let highWater = Int(random.next() % 6) + 1
        let old = LegacyConnection(capacity: capacity, channel: FakeChannel(highWater: highWater))
        let new = ShellConnection(capacity: capacity, channel: FakeChannel(highWater: highWater))
        var texts = 0
        for step in 0..<400 {
            let event = RandomEvent.make(&random, texts: &texts)
            let before = (old.channel.ops.count, new.channel.ops.count)
            event.apply(to: old, new)
            func context() -> String { "seed \(seed), capacity \(capacity), high water \(highWater), step \(step): \(event)" }
            let (was, now) = (old.channel.ops[before.0...], new.channel.ops[before.1...])
            guard was == now else {
                Issue.record("\(context()): channel operations differ: \(Array(was)) vs \(Array(now))")
                return
            }
            guard old.state.liveQueued == new.machine.liveQueued, old.state.queue.count == new.machine.queuedCount,
                old.state.flushScheduled == new.machine.isFlushScheduled, old.state.replaying == new.machine.isReplaying,
                old.state.held.count == new.machine.heldCount, old.state.closeReason == new.machine.closeReason,
                old.state.closeFrameSent == new.machine.closeFrameSent, old.state.finished == new.machine.isFinished
            else {
                Issue.record("\(context()): state differs: \(old.state) vs \(new.machine)")
                return
            }
            if new.machine.liveQueued > capacity || new.machine.heldCount > capacity * 4 + 1 {
                Issue.record("\(context()): \(new.machine.liveQueued) live frames queued, \(new.machine.heldCount) held")
                return
            }
        }
        new.channel.checkPromises(seed: seed)
        #expect(new.closeChannelCount <= 1)
        if new.closeChannelCount == 1 { #expect(new.machine.closeReason == .slowConsumer || new.machine.closeFrameSent) }
    }

    /// A replay that failed drops the live frames held meanwhile (their cursors assume the replay) and closes after
    /// the error frame, so the client resumes later from where it was.
    @Test func aFailedReplayDropsTheHeldFramesAndCloses() {
        var machine = ConnectionStateMachine(capacity: 8)
        machine.beginReplay()
        #expect(machine.send(message(1)) == .none)
        #expect(machine.send(plain("typing")) == .none)
        #expect(machine.heldCount == 2)
        #expect(machine.failReplay([plain("error")], close: .refused(1013, "Replay failed")) == .scheduleFlush)
        #expect(machine.heldCount == 0)
        #expect(machine.drain() == [.write("error"), .writeCloseFrame(.refused(1013, "Replay failed"), closeChannelAfter: deadline)])
        // Nothing more goes out, and a late replay is ignored.
        #expect(machine.send(message(2)) == .none)
        #expect(machine.finishReplay([message(3)]) == .none)
        #expect(machine.queuedCount == 0)
    }
}

private let closeReasons: [Reason] = [.goingAway, .idle, .slowConsumer, .refused(4401, "no")]
private let closeNowReasons: [Reason] = [.refused(1002, "unexpected opcode"), .refused(1009, "frame too large")]

/// The messages random sequences send, made once.
private let messagePool = (0..<24).map(message)

/// One step of a random sequence, on the connection and on the shell alike.
private enum RandomEvent: CustomStringConvertible {
    case send(OutgoingFrame)
    case beginReplay
    case finishReplay([OutgoingFrame])
    case close(ConnectionStateMachine.CloseReason)
    case closeNow(ConnectionStateMachine.CloseReason)
    case finish
    /// The event loop runs a scheduled flush.
    case runScheduledFlush
    /// The client reads everything it was sent; the channel becomes writable if it was not.
    case clientReads
    /// A writability change that changed nothing.
    case spuriousFlush

    /// Mostly sends and flushes; message ids from a small pool, so that duplicates are common.
    static func make(_ random: inout SplitMix64, texts: inout Int) -> RandomEvent {
        func frame() -> OutgoingFrame {
            if random.next() % 3 == 0 {
                texts += 1
                return plain("t\(texts)")
            }
            return messagePool[Int(random.next() % UInt64(messagePool.count))]
        }
        switch random.next() % 100 {
        case 0..<40: return .send(frame())
        case 40..<44: return .beginReplay
        case 44..<50: return .finishReplay((0..<Int(random.next() % 6)).map { _ in frame() })
        case 50..<53: return .close(closeReasons[Int(random.next() % 4)])
        case 53..<55: return .closeNow(closeNowReasons[Int(random.next() % 2)])
        case 55..<57: return .finish
        case 57..<80: return .runScheduledFlush
        case 80..<95: return .clientReads
        default: return .spuriousFlush
        }
    }

    func apply(to old: LegacyConnection, _ new: ShellConnection) {
        switch self {
        case .send(let frame):
            old.send(frame)
            new.send(frame)
        case .beginReplay:
            old.beginReplay()
            new.beginReplay()
        case .finishReplay(let frames):
            old.finishReplay(frames)
            new.finishReplay(frames)
        case .close(let reason):
            old.close(reason)
            new.close(reason)
        case .closeNow(let reason):
            old.closeNow(reason)
            new.closeNow(reason)
        case .finish:
            old.finish()
            new.finish()
        case .runScheduledFlush:
            old.channel.runTask(old.flush)
            new.channel.runTask(new.flush)
        case .clientReads:
            old.channel.clientReads(old.flush)
            new.channel.clientReads(new.flush)
        case .spuriousFlush:
            old.flush()
            new.flush()
        }
    }

    var description: String {
        switch self {
        case .send(let frame): "send \(frame.json)"
        case .finishReplay(let frames): "finishReplay \(frames.map(\.json))"
        case .close(let reason): "close \(reason)"
        case .closeNow(let reason): "closeNow \(reason)"
        case .beginReplay: "beginReplay"
        case .finish: "finish"
        case .runScheduledFlush: "run a scheduled flush"
        case .clientReads: "client reads"
        case .spuriousFlush: "spurious flush"
        }
    }
}

// MARK: - The reference: the ClientConnection before the state machine, on a fake channel

/// A channel that records what is done to it. It stops being writable after `highWater` unread frames, and
/// runs the tasks scheduled on its event loop when told.
private final class FakeChannel {
    enum Op: Equatable, CustomStringConvertible {
        case write(String)
        case writeClose(code: UInt16, reason: String)
        case scheduleClose(after: Duration)
        case flush
        case close
        case scheduleFlush

        var description: String {
            switch self {
            case .write(let text): "write \(text)"
            case .writeClose(let code, let reason): "close frame \(code) \(reason)"
            case .scheduleClose(let after): "close in \(after)"
            case .flush: "flush"
            case .close: "close"
            case .scheduleFlush: "schedule flush"
            }
        }
    }

    private(set) var ops: [Op] = []
    private let highWater: Int
    private var unread = 0
    private var tasks = 0

    init(highWater: Int) { self.highWater = highWater }

    var isWritable: Bool { unread < highWater }

    func write(_ text: String) {
        ops.append(.write(text))
        unread += 1
    }

    func writeClose(code: UInt16, reason: String, closeAfter: Duration) {
        ops.append(.writeClose(code: code, reason: reason))
        unread += 1
        ops.append(.scheduleClose(after: closeAfter))
    }

    func flush() { ops.append(.flush) }
    func close() { ops.append(.close) }
    func execute() {
        ops.append(.scheduleFlush)
        tasks += 1
    }

    /// Runs one scheduled flush, if any.
    func runTask(_ flush: () -> Void) {
        guard tasks > 0 else { return }
        tasks -= 1
        flush()
    }

    /// The client reads everything; a channel that was not writable becomes writable and is flushed.
    func clientReads(_ flush: () -> Void) {
        let wasWritable = isWritable
        unread = 0
        if !wasWritable { flush() }
    }

    /// What the connection promises whatever happens: each message written once, one close frame at most and
    /// nothing after it, and every close frame followed by its deadline.
    func checkPromises(seed: Int) {
        var messages = Set<String>()
        var closeFrames = 0
        for (index, op) in ops.enumerated() {
            switch op {
            case .write(let text):
                #expect(closeFrames == 0, "seed \(seed): \(text) written after the close frame")
                if text.hasPrefix("m") { #expect(messages.insert(text).inserted, "seed \(seed): \(text) written twice") }
            case .writeClose:
                closeFrames += 1
                #expect(index + 1 < ops.count && ops[index + 1] == .scheduleClose(after: .seconds(3)), "seed \(seed)")
            default:
                break
            }
        }
        #expect(closeFrames <= 1, "seed \(seed): \(closeFrames) close frames")
    }
}

/// The connection as it was before the state machine, line for line, on a ``FakeChannel``.
private final class LegacyConnection {
    struct Queued {
        var text: String
        var isLive: Bool
    }

    struct State {
        var queue: [Queued] = []
        var liveQueued = 0
        var flushScheduled = false
        var replaying = false
        var held: [OutgoingFrame] = []
        var recent = RecentIDs(capacity: 4096)
        var closeReason: Reason?
        var closeFrameSent = false
        var finished = false
    }

    let capacity: Int
    let channel: FakeChannel
    var state = State()

    init(capacity: Int, channel: FakeChannel) {
        self.capacity = capacity
        self.channel = channel
    }

    func send(_ frame: OutgoingFrame) {
        enum Outcome {
            case queued(schedule: Bool)
            case overflow
        }
        let outcome: Outcome = {
            guard state.closeReason == nil, !state.finished else { return .queued(schedule: false) }
            if state.replaying {
                state.held.append(frame)
                return state.held.count > capacity * 4 ? .overflow : .queued(schedule: false)
            }
            guard isNew(frame) else { return .queued(schedule: false) }
            guard state.liveQueued < capacity else { return .overflow }
            state.queue.append(Queued(text: frame.json, isLive: true))
            state.liveQueued += 1
            return .queued(schedule: claimFlush())
        }()
        switch outcome {
        case .overflow: close(.slowConsumer)
        case .queued(let schedule): if schedule { channel.execute() }
        }
    }

    func beginReplay() { state.replaying = true }

    func finishReplay(_ frames: [OutgoingFrame]) {
        let schedule: Bool = {
            guard state.closeReason == nil, !state.finished else { return false }
            for frame in frames + state.held where isNew(frame) {
                state.queue.append(Queued(text: frame.json, isLive: false))
            }
            state.held = []
            state.replaying = false
            return claimFlush()
        }()
        if schedule { channel.execute() }
    }

    func close(_ reason: Reason) {
        // Since the model was written: a slow consumer whose close began already (its close frame not sent) is cut off.
        if reason == .slowConsumer, !state.finished, let began = state.closeReason, began != .slowConsumer, !state.closeFrameSent {
            channel.close()
            return
        }
        let (first, schedule): (Bool, Bool) = {
            guard state.closeReason == nil, !state.finished else { return (false, false) }
            state.closeReason = reason
            return (true, reason != .slowConsumer && claimFlush())
        }()
        guard first else { return }
        if reason == .slowConsumer {
            channel.close()
        } else if schedule {
            channel.execute()
        }
    }

    func finish() {
        state.finished = true
        state.queue.removeAll()
        state.held = []
        state.liveQueued = 0
    }

    func flush() {
        var wrote = false
        while channel.isWritable {
            let next: Queued? = {
                guard !state.queue.isEmpty else {
                    state.flushScheduled = false
                    return nil
                }
                let item = state.queue.removeFirst()
                if item.isLive { state.liveQueued -= 1 }
                return item
            }()
            guard let next else { break }
            channel.write(next.text)
            wrote = true
        }
        let closing: Reason? = {
            if !channel.isWritable { state.flushScheduled = false }
            guard state.queue.isEmpty, let reason = state.closeReason, !state.closeFrameSent, !state.finished else { return nil }
            state.closeFrameSent = true
            return reason
        }()
        if let closing {
            writeClose(closing)
            wrote = true
        }
        if wrote { channel.flush() }
    }

    func closeNow(_ reason: Reason) {
        let first: Bool = {
            guard !state.closeFrameSent, !state.finished else { return false }
            state.closeReason = reason
            state.closeFrameSent = true
            state.queue.removeAll()
            state.liveQueued = 0
            return true
        }()
        if first {
            writeClose(reason)
            channel.flush()
        }
    }

    /// The close codes as `WebSocketErrorCode` numbered them.
    private func writeClose(_ reason: Reason) {
        let code: UInt16 =
            switch reason {
            case .goingAway: 1001
            case .idle: 1000
            case .slowConsumer: 1008
            case .refused(let code, _): code
            }
        channel.writeClose(code: code, reason: reason.reason, closeAfter: .seconds(3))
    }

    private func claimFlush() -> Bool {
        guard !state.flushScheduled else { return false }
        state.flushScheduled = true
        return true
    }

    private func isNew(_ frame: OutgoingFrame) -> Bool {
        guard let id = frame.messageId else { return true }
        return state.recent.insert(id)
    }
}

/// The new ``ClientConnection`` shell, action for action, on a ``FakeChannel``.
private final class ShellConnection {
    let channel: FakeChannel
    var machine: ConnectionStateMachine
    private(set) var closeChannelCount = 0

    init(capacity: Int, channel: FakeChannel) {
        self.channel = channel
        self.machine = ConnectionStateMachine(capacity: capacity)
    }

    func send(_ frame: OutgoingFrame) { perform(machine.send(frame)) }
    func beginReplay() { machine.beginReplay() }
    func finishReplay(_ frames: [OutgoingFrame]) { perform(machine.finishReplay(frames)) }
    func close(_ reason: Reason) { perform(machine.close(reason)) }
    func finish() { machine.finish() }

    func flush() {
        var wrote = false
        steps: while true {
            switch machine.flushStep(isWritable: channel.isWritable) {
            case .write(let text):
                channel.write(text)
                wrote = true
            case .writeCloseFrame(let reason, let deadline):
                channel.writeClose(code: reason.code, reason: reason.reason, closeAfter: deadline)
                wrote = true
                break steps
            case .stop:
                break steps
            }
        }
        if wrote { channel.flush() }
    }

    func closeNow(_ reason: Reason) {
        switch machine.closeNow(reason) {
        case .none:
            break
        case .writeCloseFrame(let reason, let deadline):
            channel.writeClose(code: reason.code, reason: reason.reason, closeAfter: deadline)
            channel.flush()
        }
    }

    private func perform(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .none: break
        case .scheduleFlush: channel.execute()
        case .closeChannel:
            closeChannelCount += 1
            channel.close()
        }
    }

}

@Suite struct ConnectionByteBudgetTests {
    @Test func liveFramesBeyondTheByteBudgetCutTheClientOff() {
        var machine = ConnectionStateMachine(capacity: 100, maxBytes: 10)
        let first = machine.send(plain("aaaa"))
        let second = machine.send(plain("bbbb"))
        #expect(first == .scheduleFlush && second == .none && machine.queuedBytes == 8)
        // Written frames give their bytes back.
        let steps = machine.drain()
        #expect(steps.count == 3 && machine.queuedBytes == 0)
        _ = machine.send(plain("cccccc"))
        let over = machine.send(plain("ddddd"))
        #expect(over == .closeChannel && machine.closeReason == .slowConsumer)
    }

    @Test func aReplayCountsAndSoDoFramesHeldDuringIt() {
        var machine = ConnectionStateMachine(capacity: 100, maxBytes: 10)
        machine.beginReplay()
        let held = machine.send(plain("held"))
        #expect(held == .none && machine.queuedBytes == 4)
        let finished = machine.finishReplay([message(1), message(2)])
        // "m1", "m2", then the held frame: 8 bytes.
        #expect(finished == .scheduleFlush && machine.queuedBytes == 8 && machine.queuedCount == 3)
        var big = ConnectionStateMachine(capacity: 100, maxBytes: 10)
        big.beginReplay()
        let overflow = big.finishReplay((1...6).map(message))
        #expect(overflow == .closeChannel && big.closeReason == .slowConsumer)
        var holding = ConnectionStateMachine(capacity: 100, maxBytes: 10)
        holding.beginReplay()
        _ = holding.send(plain("123456"))
        let tooMuch = holding.send(plain("78901"))
        #expect(tooMuch == .closeChannel)
    }
}
