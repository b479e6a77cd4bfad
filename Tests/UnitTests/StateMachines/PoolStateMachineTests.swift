import TestSupport
import Testing

@testable import MsgLib

/// Connections are Ints, waiters are their ids' values: what the pool resumes can be checked without any I/O.
private typealias Machine = PoolStateMachine<Int, UInt64>

private func id(_ value: UInt64) -> Machine.WaiterID { Machine.WaiterID(value) }

/// Acquires for waiter `value`, its token being the same number.
private func acquire(_ machine: inout Machine, _ value: UInt64, cancelled: Bool = false) -> Machine.AcquireAction {
    machine.acquire(id(value), value, isCancelled: cancelled)
}

@Suite struct PoolStateMachineTests {
    @Test(arguments: [0, 1, 2, 3, 8])
    func opensLazilyUpToTheSizeThenQueues(size: Int) {
        var machine = Machine(size: size)
        #expect(machine.statistics == .init(size: size, open: 0, inUse: 0, waiting: 0))
        for n in 0..<size {
            guard case .create = acquire(&machine, UInt64(n)) else {
                Issue.record("acquire \(n) should open a connection")
                return
            }
        }
        for n in size..<(size + 3) {
            guard case .enqueued(let queued) = acquire(&machine, UInt64(n)) else {
                Issue.record("acquire \(n) should wait")
                return
            }
            #expect(queued == id(UInt64(n)))
        }
        #expect(machine.statistics == .init(size: size, open: size, inUse: size, waiting: 3))
    }

    @Test func idleConnectionsAreLentBeforeNewOnesLastReturnedFirst() {
        var machine = Machine(size: 3)
        _ = acquire(&machine, 1)
        _ = acquire(&machine, 2)
        guard case .park = machine.release(10), case .park = machine.release(20) else {
            Issue.record("returned connections should be parked")
            return
        }
        #expect(machine.idleCount == 2)
        guard case .lend(let first) = acquire(&machine, 3), case .lend(let second) = acquire(&machine, 4) else {
            Issue.record("idle connections should be lent")
            return
        }
        #expect([first, second] == [20, 10])
        guard case .create = acquire(&machine, 5) else {
            Issue.record("a third connection should be opened")
            return
        }
        #expect(machine.statistics == .init(size: 3, open: 3, inUse: 3, waiting: 0))
    }

    @Test func waitersAreServedFirstComeFirstServed() {
        var machine = Machine(size: 1)
        _ = acquire(&machine, 0)
        for n in 1...5 { _ = acquire(&machine, UInt64(n)) }
        #expect(machine.waitingIDs == (1...5).map { id(UInt64($0)) })
        var served: [UInt64] = []
        for _ in 1...5 {
            guard case .handOver(let connection, let waiter) = machine.release(7) else {
                Issue.record("a waiter should get the connection")
                return
            }
            #expect(connection == 7)
            served.append(waiter)
        }
        #expect(served == [1, 2, 3, 4, 5])
        guard case .park = machine.release(7) else {
            Issue.record("with nobody waiting the connection should be parked")
            return
        }
        #expect(machine.statistics == .init(size: 1, open: 1, inUse: 0, waiting: 0))
    }

    @Test func aCancelledWaiterLeavesTheQueueAtOnceAndNeverGetsAConnection() {
        var machine = Machine(size: 1)
        _ = acquire(&machine, 0)
        for n in 1...3 { _ = acquire(&machine, UInt64(n)) }
        guard case .fail(let waiter) = machine.cancelWaiter(id(2)) else {
            Issue.record("the waiter should be failed")
            return
        }
        #expect(waiter == 2)
        #expect(machine.statistics.waiting == 2)
        #expect(machine.waitingIDs == [id(1), id(3)])
        // A second cancellation, or one of a waiter served already, does nothing.
        guard case .none = machine.cancelWaiter(id(2)) else {
            Issue.record("a waiter is failed once")
            return
        }
        guard case .handOver(_, let next) = machine.release(5), next == 1 else {
            Issue.record("waiter 1 should be served")
            return
        }
        guard case .none = machine.cancelWaiter(id(1)) else {
            Issue.record("a served waiter cannot be cancelled")
            return
        }
        guard case .handOver(_, let last) = machine.release(5), last == 3 else {
            Issue.record("waiter 3 should be served, not the cancelled 2")
            return
        }
    }

    @Test func aTaskCancelledBeforeItIsEnqueuedFailsInsteadOfWaiting() {
        var machine = Machine(size: 1)
        // Free at once: a cancelled task still gets it, as before.
        guard case .create = acquire(&machine, 1, cancelled: true) else {
            Issue.record("a free connection is lent even to a cancelled task")
            return
        }
        // Its cancellation handler ran first and found nothing; the acquire sees the flag and does not wait.
        guard case .none = machine.cancelWaiter(id(2)) else {
            Issue.record("nothing to cancel yet")
            return
        }
        guard case .fail(.cancelled) = acquire(&machine, 2, cancelled: true) else {
            Issue.record("a cancelled task must not wait")
            return
        }
        #expect(machine.statistics == .init(size: 1, open: 1, inUse: 1, waiting: 0))
    }

    @Test func shutdownFailsWaitersClosesIdleAndEveryReturnedConnection() {
        var machine = Machine(size: 3)
        for n in 0..<3 { _ = acquire(&machine, UInt64(n)) }
        _ = machine.release(100)
        _ = acquire(&machine, 3)  // lends 100
        for n in 4...6 { _ = acquire(&machine, UInt64(n)) }
        _ = machine.cancelWaiter(id(5))
        // 101 comes back while 4 and 6 wait: 4 gets it.
        guard case .handOver(101, 4) = machine.release(101) else {
            Issue.record("waiter 4 should be served")
            return
        }
        _ = machine.release(101)  // to 6
        _ = machine.release(101)  // parked
        let action = machine.shutdown()
        #expect(action.close == [101])
        #expect(action.fail.isEmpty)
        #expect(machine.statistics == .init(size: 3, open: 2, inUse: 2, waiting: 0))
        guard case .fail(.shutDown) = acquire(&machine, 7) else {
            Issue.record("acquire after shutdown must fail")
            return
        }
        guard case .close(102) = machine.release(102), case .close(103) = machine.release(103) else {
            Issue.record("returned connections must be closed")
            return
        }
        #expect(machine.statistics == .init(size: 3, open: 0, inUse: 0, waiting: 0))
        let again = machine.shutdown()
        #expect(again.close.isEmpty && again.fail.isEmpty)
    }

    @Test func shutdownFailsTheWaitersInQueueOrder() {
        var machine = Machine(size: 1)
        for n in 0...4 { _ = acquire(&machine, UInt64(n)) }
        let action = machine.shutdown()
        #expect(action.fail == [1, 2, 3, 4])
        #expect(machine.statistics.waiting == 0)
        guard case .close(9) = machine.release(9) else {
            Issue.record("the connection lent before shutdown is closed on return")
            return
        }
        guard case .none = machine.cancelWaiter(id(3)) else {
            Issue.record("a waiter failed by shutdown cannot be failed again")
            return
        }
    }

    @Test func aTimedOutWaiterLeavesTheQueueAndNeverGetsAConnection() {
        var machine = Machine(size: 1)
        _ = acquire(&machine, 0)
        for n in 1...3 { _ = acquire(&machine, UInt64(n)) }
        guard case .fail(let waiter) = machine.timeOutWaiter(id(2)) else {
            Issue.record("the waiter should be failed")
            return
        }
        #expect(waiter == 2)
        #expect(machine.waitingIDs == [id(1), id(3)])
        // Its deadline passing again, or its task being cancelled afterwards, does nothing.
        guard case .none = machine.timeOutWaiter(id(2)), case .none = machine.cancelWaiter(id(2)) else {
            Issue.record("a waiter is failed once")
            return
        }
        guard case .handOver(_, 1) = machine.release(5) else {
            Issue.record("waiter 1 should be served")
            return
        }
        // The deadline of a waiter served just before it passed finds nothing: the caller keeps the connection.
        guard case .none = machine.timeOutWaiter(id(1)) else {
            Issue.record("a served waiter cannot time out")
            return
        }
        guard case .handOver(_, 3) = machine.release(5) else {
            Issue.record("waiter 3 should be served, not the timed-out 2")
            return
        }
        #expect(machine.statistics == .init(size: 1, open: 1, inUse: 1, waiting: 0))
    }

    @Test func aWaiterCancelledOrFailedByShutdownCannotTimeOut() {
        var machine = Machine(size: 1)
        for n in 0...3 { _ = acquire(&machine, UInt64(n)) }
        _ = machine.cancelWaiter(id(1))
        guard case .none = machine.timeOutWaiter(id(1)) else {
            Issue.record("a cancelled waiter cannot also time out")
            return
        }
        let action = machine.shutdown()
        #expect(action.fail == [2, 3])
        guard case .none = machine.timeOutWaiter(id(3)) else {
            Issue.record("a waiter failed by shutdown cannot time out")
            return
        }
        // An acquire that never waited (served at once) has no deadline to miss.
        guard case .none = machine.timeOutWaiter(id(0)) else {
            Issue.record("nothing to time out")
            return
        }
    }

    /// Random events, with deadlines passing for random acquires, against a record of who was resumed: every acquire
    /// is resumed exactly once, a timed-out waiter never gets a connection, and no connection is lent twice.
    @Test(arguments: 0..<100)
    func randomTimeoutsResumeEveryAcquireOnce(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed) &+ 10_000)
        let size = 1 + Int(random.next() % 3)
        var machine = Machine(size: size)
        var next: UInt64 = 0
        var resumed: [UInt64: Int] = [:]
        var timedOut: Set<UInt64> = []
        var lent: [Int] = []
        var opened = 0
        var problems: [String] = []
        for _ in 0..<200 {
            switch random.next() % 10 {
            case 0..<4:
                next += 1
                switch acquire(&machine, next) {
                case .lend(let connection):
                    lent.append(connection)
                    resumed[next, default: 0] += 1
                case .create:
                    opened += 1
                    lent.append(opened)
                    resumed[next, default: 0] += 1
                case .enqueued: break
                case .fail: resumed[next, default: 0] += 1
                }
            case 4..<7:
                guard !lent.isEmpty else { continue }
                let connection = lent.remove(at: Int(random.next() % UInt64(lent.count)))
                if case .handOver(let handed, let waiter) = machine.release(connection) {
                    if timedOut.contains(waiter) { problems.append("timed-out waiter \(waiter) got a connection") }
                    if lent.contains(handed) { problems.append("connection \(handed) lent twice") }
                    lent.append(handed)
                    resumed[waiter, default: 0] += 1
                }
            default:
                let target = random.next() % (next + 1)
                if case .fail(let waiter) = machine.timeOutWaiter(id(target)) {
                    if waiter != target { problems.append("timed out \(waiter) for \(target)") }
                    timedOut.insert(waiter)
                    resumed[waiter, default: 0] += 1
                }
            }
        }
        for waiter in machine.shutdown().fail { resumed[waiter, default: 0] += 1 }
        #expect(problems.isEmpty, "seed \(seed): \(problems.prefix(5))")
        #expect(resumed.count == Int(next) && resumed.values.allSatisfy { $0 == 1 }, "seed \(seed): an acquire was resumed twice or never")
        #expect(machine.statistics.inUse == lent.count)
    }

    /// Random events against a model of the pool; the invariants hold after every step.
    @Test(arguments: 0..<300)
    func randomEventsKeepTheInvariants(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        let size = Int(random.next() % 5)
        var machine = Machine(size: size)
        var model = PoolModel()
        let steps = 150 + Int(random.next() % 150)
        for _ in 0..<steps {
            let roll = random.next() % 100
            switch roll {
            case 0..<45: model.acquire(&machine, cancelled: random.next() % 8 == 0)
            case 45..<80: model.releaseOne(&machine, &random)
            case 80..<97: model.cancelOne(&machine, &random)
            default: model.shutdown(&machine)
            }
            model.check(machine)
        }
        // Wind down: shut down, return everything; every waiter was resumed exactly once, no connection is left.
        model.shutdown(&machine)
        while !model.lent.isEmpty { model.releaseOne(&machine, &random) }
        model.check(machine)
        #expect(model.violations.isEmpty, "seed \(seed): \(model.violations.prefix(5))")
        #expect(machine.statistics == .init(size: size, open: 0, inUse: 0, waiting: 0))
        #expect(model.outcomes.count == Int(model.lastID))
        #expect(model.outcomes.values.allSatisfy { $0 == 1 })
        #expect(model.opened == model.closed)
    }
}

/// What the pool should be doing, kept by the test beside the machine.
private struct PoolModel {
    var lastID: UInt64 = 0
    var nextConnection = 0
    /// Connections the callers hold now.
    var lent: [Int] = []
    var idle: Set<Int> = []
    /// Ids waiting, in arrival order.
    var queue: [UInt64] = []
    /// How many times each acquire was resumed (lent, handed over or failed).
    var outcomes: [UInt64: Int] = [:]
    var cancelledWaiters: Set<UInt64> = []
    var opened: Set<Int> = []
    var closed: Set<Int> = []
    var isShutDown = false
    /// Broken expectations, checked once per test case (an `#expect` per step would be a hundred times slower).
    var violations: [String] = []

    /// Records a violation unless `condition` holds.
    mutating func require(_ condition: Bool, _ message: @autoclosure () -> String = "", line: Int = #line) {
        if !condition { violations.append("line \(line): \(message())") }
    }

    mutating func resolve(_ waiter: UInt64) {
        outcomes[waiter, default: 0] += 1
        require(outcomes[waiter] == 1, "waiter \(waiter) resumed twice")
    }

    mutating func take(_ connection: Int) {
        require(!lent.contains(connection), "connection \(connection) lent twice")
        require(!closed.contains(connection), "closed connection \(connection) lent")
        lent.append(connection)
    }

    mutating func acquire(_ machine: inout Machine, cancelled: Bool) {
        lastID += 1
        let waiter = lastID
        switch machine.acquire(id(waiter), waiter, isCancelled: cancelled) {
        case .lend(let connection):
            require(!isShutDown)
            let wasIdle = idle.remove(connection) != nil
            require(wasIdle, "lent a connection that was not idle")
            take(connection)
            resolve(waiter)
        case .create:
            require(!isShutDown && idle.isEmpty)
            nextConnection += 1
            opened.insert(nextConnection)
            take(nextConnection)
            resolve(waiter)
        case .enqueued(let queued):
            require(queued == id(waiter))
            require(!isShutDown && !cancelled && idle.isEmpty)
            queue.append(waiter)
        case .fail(.shutDown):
            require(isShutDown)
            resolve(waiter)
        case .fail(.cancelled):
            require(cancelled && !isShutDown && idle.isEmpty)
            resolve(waiter)
        }
    }

    mutating func releaseOne(_ machine: inout Machine, _ random: inout SplitMix64) {
        guard !lent.isEmpty else { return }
        let connection = lent.remove(at: Int(random.next() % UInt64(lent.count)))
        switch machine.release(connection) {
        case .handOver(let handed, let waiter):
            require(handed == connection)
            require(waiter == queue.first, "not first come, first served")
            require(!cancelledWaiters.contains(waiter), "a cancelled waiter got a connection")
            queue.removeFirst()
            take(handed)
            resolve(waiter)
        case .park:
            require(!isShutDown && queue.isEmpty)
            idle.insert(connection)
        case .close(let closing):
            require(isShutDown && closing == connection)
            closed.insert(closing)
        }
    }

    /// Cancels a waiting acquire, or (a third of the time) any acquire at all, served or not, or one not made yet.
    mutating func cancelOne(_ machine: inout Machine, _ random: inout SplitMix64) {
        let target: UInt64
        if !queue.isEmpty && random.next() % 3 != 0 {
            target = queue[Int(random.next() % UInt64(queue.count))]
        } else {
            target = random.next() % (lastID + 2)
        }
        switch machine.cancelWaiter(id(target)) {
        case .fail(let waiter):
            require(waiter == target)
            require(queue.contains(target), "failed a waiter that was not waiting")
            queue.removeAll { $0 == target }
            cancelledWaiters.insert(target)
            resolve(waiter)
        case .none:
            require(!queue.contains(target), "a waiting acquire was not cancelled")
        }
    }

    mutating func shutdown(_ machine: inout Machine) {
        let action = machine.shutdown()
        require(Set(action.close) == idle && action.close.count == idle.count)
        require(action.fail == queue)
        for waiter in action.fail { resolve(waiter) }
        closed.formUnion(action.close)
        idle = []
        queue = []
        isShutDown = true
    }

    mutating func check(_ machine: Machine) {
        let statistics = machine.statistics
        require(statistics.open <= statistics.size)
        require(statistics.inUse + machine.idleCount == statistics.open)
        require(statistics.inUse == lent.count)
        require(machine.idleCount == idle.count)
        require(statistics.open == opened.count - closed.count)
        require(machine.waitingIDs == queue.map(id))
        require(machine.isShutDown == isShutDown)
        // Nobody waits while a connection is idle, or while one could still be opened.
        if !queue.isEmpty { require(idle.isEmpty && statistics.open == statistics.size, "waiting while a connection is free") }
    }
}
