import MsgLib
import TestSupport
import Testing

@testable import RelayKit

@Suite struct ListenerLivenessTests {
    static let start = Timestamp(microsecondsSinceEpoch: 1_000_000_000_000)

    @Test func theFirstConnectionCatchesUpFromTheStartLessTheMargin() {
        var liveness = ListenerLiveness(start: Self.start)
        let first = liveness.connected(at: 100)
        #expect(first == Self.start.adding(seconds: -5))
        // Only once: the next connection has nothing pending until one is lost.
        let second = liveness.connected(at: 101)
        #expect(second == nil)
    }

    @Test func aProbeIsDueAtOnceAfterConnectingThenEveryInterval() {
        var liveness = ListenerLiveness(start: Self.start, interval: 5, deadline: 5)
        #expect(!liveness.probeDue(at: 100), "no connection, nothing to probe")
        _ = liveness.connected(at: 100)
        #expect(liveness.probeDue(at: 100))
        liveness.probed(serverTime: Self.start.adding(seconds: 1), at: 100)
        #expect(!liveness.probeDue(at: 104.9))
        #expect(liveness.probeDue(at: 105))
    }

    @Test func aConnectionWithoutARoundTripForAnIntervalAndADeadlineIsOverdue() {
        var liveness = ListenerLiveness(start: Self.start, interval: 5, deadline: 5)
        #expect(!liveness.isOverdue(at: 1_000), "no connection is never overdue")
        _ = liveness.connected(at: 100)
        #expect(!liveness.isOverdue(at: 110))
        #expect(liveness.isOverdue(at: 110.1), "connected, never proven")
        liveness.probed(serverTime: Self.start, at: 108)
        #expect(!liveness.isOverdue(at: 118))
        #expect(liveness.isOverdue(at: 118.5))
    }

    @Test func aLossCatchesUpFromTheLastRoundTripNotFromTheLoss() {
        var liveness = ListenerLiveness(start: Self.start, margin: 5)
        _ = liveness.connected(at: 100)
        let proven = Self.start.adding(seconds: 30)
        liveness.probed(serverTime: proven, at: 130)
        // Minutes of polling a dead link prove nothing; only the round trip counts.
        let firstLoss = liveness.lost()
        #expect(firstLoss)
        let secondLoss = liveness.lost()
        #expect(!secondLoss, "failed reconnects belong to the same gap")
        #expect(!liveness.probeDue(at: 400))
        let catchUp = liveness.connected(at: 400)
        #expect(catchUp == proven.adding(seconds: -5))
        let nextCatchUp = liveness.connected(at: 401)
        #expect(nextCatchUp == nil)
    }

    @Test func aConnectionLostBeforeItsFirstRoundTripCatchesUpFromTheOneBefore() {
        var liveness = ListenerLiveness(start: Self.start, margin: 5)
        _ = liveness.connected(at: 100)
        liveness.probed(serverTime: Self.start.adding(seconds: 10), at: 110)
        _ = liveness.lost()
        _ = liveness.connected(at: 120)
        _ = liveness.lost()
        let catchUp = liveness.connected(at: 130)
        #expect(catchUp == Self.start.adding(seconds: 5))
    }
}
