import Foundation
import Synchronization
import TestSupport
import Testing

@testable import RelayKit

@Suite struct FrameLimiterTests {
    /// `count` frames at `now`: their decisions.
    static func take(_ limiter: inout FrameLimiter, _ count: Int = 1, at now: Double) -> [FrameLimiter.Decision] {
        (0..<count).map { _ in limiter.take(now: now) }
    }

    @Test func aBurstThenTheRate() {
        var limiter = FrameLimiter(rate: 10, burst: 5, now: 0)
        var decisions = Self.take(&limiter, 6, at: 0)
        #expect(decisions == Array(repeating: .allowed, count: 5) + [.refused(retryAfter: 0.1)])
        // A tenth of a second gives one frame back, no more.
        decisions = Self.take(&limiter, 2, at: 0.1)
        #expect(decisions[0] == .allowed && decisions[1] != .allowed)
        // A long pause refills the burst, never beyond it.
        decisions = Self.take(&limiter, 6, at: 100)
        #expect(decisions.prefix(5).allSatisfy { $0 == .allowed } && decisions[5] != .allowed)
    }

    @Test func aClientThatIgnoresRefusalsIsDisconnected() {
        var limiter = FrameLimiter(rate: 1, burst: 3, now: 0)
        let decisions = Self.take(&limiter, 7, at: 0)
        #expect(decisions.prefix(3).allSatisfy { $0 == .allowed })
        #expect(decisions[3..<6].allSatisfy { if case .refused = $0 { true } else { false } })
        #expect(decisions[6] == .disconnect)
        // One allowed frame (the client slowed down) starts the count again.
        var patient = FrameLimiter(rate: 1, burst: 3, now: 0)
        _ = Self.take(&patient, 6, at: 0)
        let later = Self.take(&patient, at: 1)
        #expect(later == [.allowed] && patient.refusedInARow == 0)
    }

    @Test func aClockThatGoesBackGivesNothing() {
        var limiter = FrameLimiter(rate: 10, burst: 1, now: 5)
        let decisions = Self.take(&limiter, at: 5) + Self.take(&limiter, at: 1) + Self.take(&limiter, at: 5.05) + Self.take(&limiter, at: 5.2)
        #expect(decisions.map { $0 == .allowed } == [true, false, false, true])
    }

    @Test func typingGoesOutOncePerIntervalPerConversation() {
        let (a, b) = (UUID(), UUID())
        var gate = TypingGate(interval: 2)
        let steps: [(UUID, Bool, Double)] = [
            (a, true, 0), (a, true, 1.9), (b, true, 1.9), (a, true, 2.0), (a, false, 2.1),
            // "Stopped" without "started", or twice: nothing to say; "started" again after a stop (a message sent, then
            // more typing) goes out once more within the interval, and a third not.
            (a, false, 2.2), (a, true, 2.3), (a, false, 2.4), (a, true, 2.5), (a, true, 4.0),
        ]
        let allowed = steps.map { gate.allow($0.0, isTyping: $0.1, now: $0.2) }
        #expect(allowed == [true, false, true, true, true, false, true, true, false, true])
    }

    /// A client alternating "started" and "stopped" as fast as it may send frames makes two pairs of events per interval.
    @Test func alternatingStartAndStopGoesOutTwicePerInterval() {
        let a = UUID()
        var gate = TypingGate(interval: 2)
        let allowed = (0..<400).map { step in gate.allow(a, isTyping: step % 2 == 0, now: Double(step) * 0.05) }
        #expect(allowed.filter { $0 }.count == 40)
    }

    /// A socket naming conversation after conversation (each refused or not) leaves the gate no larger than its bound.
    @Test func theGateKeepsTrackOfABoundedNumberOfConversations() {
        var gate = TypingGate(interval: 2)
        let first = (0..<TypingGate.maxConversations).map { _ in UUID() }
        let started = first.map { gate.allow($0, isTyping: true, now: 0) }
        #expect(started.allSatisfy { $0 })
        // Full of indicators started within the interval: one more is not let out.
        let beyond = gate.allow(UUID(), isTyping: true, now: 1)
        let stopped = gate.allow(first[0], isTyping: false, now: 1)
        let room = gate.allow(UUID(), isTyping: true, now: 1)
        #expect(!beyond && stopped && room)
        // Past the interval the old ones make room, as many times as it takes.
        for step in 0..<10_000 { _ = gate.allow(UUID(), isTyping: true, now: 3 + Double(step) * 2) }
        #expect(gate.tracked <= TypingGate.maxConversations)
    }

    @Test func aStopAfterTheServerSwitchedTheIndicatorOffSaysNothing() {
        let a = UUID()
        var gate = TypingGate(interval: 2)
        let started = gate.allow(a, isTyping: true, now: 0)
        gate.expired(a)
        let stopped = gate.allow(a, isTyping: false, now: 11)
        let again = gate.allow(a, isTyping: true, now: 11)
        #expect(started && !stopped && again)
    }

    /// One gate per user, shared by the user's sockets; gates that say nothing any more are dropped once many are kept.
    @Test func typingGatesAreTheUsersAndIdleOnesAreDropped() {
        let gates = TypingGates(interval: 2)
        let (alice, bob, conversation) = (UUID(), UUID(), UUID())
        #expect(gates.allow(alice, conversation, isTyping: true, now: 0))
        #expect(!gates.allow(alice, conversation, isTyping: true, now: 0.5))  // another socket of hers: already on
        #expect(gates.allow(bob, conversation, isTyping: true, now: 0.5))
        gates.expired(alice, conversation)
        #expect(!gates.allow(alice, conversation, isTyping: false, now: 1))
        var gate = TypingGate(interval: 2)
        #expect(gate.isIdle(now: 0))
        _ = gate.allow(conversation, isTyping: true, now: 0)
        #expect(!gate.isIdle(now: 10))  // on until stopped or expired
        _ = gate.allow(conversation, isTyping: false, now: 1)
        #expect(!gate.isIdle(now: 1.5) && gate.isIdle(now: 2))
        for _ in 0..<(TypingGates.pruneAbove - 2) { _ = gates.allow(UUID(), conversation, isTyping: false, now: 3) }
        #expect(gates.tracked == TypingGates.pruneAbove)
        // One more user: the idle gates go (bob's is still on).
        #expect(gates.allow(UUID(), conversation, isTyping: true, now: 3))
        #expect(gates.tracked == 2)
    }

    /// A timer that fired and is still switching its indicator off when a new one replaces it removes only itself: the
    /// new one stays where a "stopped" from the client cancels it.
    @Test func aFiredTimerLeavesTheOneThatReplacedIt() async {
        let timers = TypingTimers()
        let conversation = UUID()
        let (firing, fired) = AsyncStream<Void>.makeStream()
        let (release, released) = AsyncStream<Void>.makeStream()
        let first = timers.start(conversation, after: .zero) {
            fired.yield()
            for await _ in release { break }
        }
        for await _ in firing { break }
        let second = timers.start(conversation, after: .seconds(3600)) {}
        released.yield()
        await first.value
        #expect(timers.count == 1)
        timers.cancel(conversation)
        #expect(second.isCancelled && timers.count == 0)
        second.cancel()
    }

    /// A "started typing" still being sent when its socket ended (after the indicators were switched off) is switched off
    /// at once, not when its timer would have run out.
    @Test func aTimerStartedAfterTheSocketEndedExpiresAtOnce() async throws {
        let timers = TypingTimers()
        let expired = Mutex<Set<UUID>>([])
        let on = UUID()
        timers.start(on, after: .seconds(3600)) { _ = expired.withLock { $0.insert(on) } }
        timers.stopAll { id in _ = expired.withLock { $0.insert(id) } }
        let late = UUID()
        let task = timers.start(late, after: .seconds(3600)) { _ = expired.withLock { $0.insert(late) } }
        defer { task.cancel() }
        // Both within 10 s (the late one would otherwise wait for its hour).
        try await waitFor("both indicators switched off", timeout: 10) { expired.withLock { $0 } == [on, late] }
        #expect(timers.count == 0)
    }
}
