import Foundation
import MsgLib
import Testing

@testable import RelayKit

/// One delivery at a time, and nothing left behind: what comes while the holder delivers is taken before it lets go.
@Suite struct CommitFeedStateTests {
    typealias State = CommitFeedState<Int>

    static func committed(_ txid: UInt64) -> State.Committed { State.Committed(txid: txid, messages: []) }

    static func txids(_ work: State.Work) -> [UInt64]? {
        guard case .deliver(let committed, _) = work else { return nil }
        return committed.map(\.txid)
    }

    static func sweeps(_ work: State.Work) -> Bool {
        if case .deliver(_, let sweep) = work { return sweep }
        return false
    }

    @Test func whatArrivesWhileTheHolderDeliversIsTakenBeforeItLetsGo() {
        var state = State()
        let r1 = state.add(Self.committed(7))
        #expect(r1)
        #expect(Self.txids(state.next()) == [7])
        // While 7 is delivered: two more commits and a sweep request; none of them becomes a holder.
        let r2 = state.add(Self.committed(9))
        #expect(!r2)
        let r3 = state.add(Self.committed(8))
        #expect(!r3)
        let r4 = state.requestSweep()
        #expect(!r4)
        let work = state.next()
        #expect(Self.txids(work) == [9, 8] && Self.sweeps(work))
        guard case .none = state.next() else {
            Issue.record("nothing was left, the holder should let go")
            return
        }
        #expect(!state.busy)
        let r5 = state.requestSweep()
        #expect(r5)
    }

    @Test func aHolderThatLetsGoEarlyLeavesTheSweepToTheNext() {
        var state = State()
        let r6 = state.add(Self.committed(1))
        #expect(r6)
        _ = state.next()
        let r7 = state.add(Self.committed(2))
        #expect(!r7)
        _ = state.next()
        state.letGo(sweepWanted: true)
        #expect(!state.busy && state.sweepWanted)
        let r8 = state.add(Self.committed(3))
        #expect(r8)
        let work = state.next()
        #expect(Self.txids(work) == [3] && Self.sweeps(work))
    }

    @Test func waitersAreServedByTheFirstSweepThatBeganAfterThem() {
        var state = State()
        state.waiters.append((state.begun + 1, 10))
        let first = state.begin()
        state.waiters.append((state.begun + 1, 20))
        #expect(state.lastFinished == 0)
        #expect(state.finished(first).map(\.waiter) == [10])
        #expect(state.lastFinished == first)
        let second = state.begin()
        #expect(state.finished(second).map(\.waiter) == [20])
        #expect(state.waiters.isEmpty && state.lastFinished == second)
        // A sweep that finishes after a later one does not move it back.
        let third = state.begin()
        let fourth = state.begin()
        _ = state.finished(fourth)
        _ = state.finished(third)
        #expect(state.lastFinished == fourth)
    }
}
