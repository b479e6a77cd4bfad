import Dispatch
import Foundation
import Synchronization
import Testing

@testable import RelayKit

@Suite struct ReconnectingLoopTests {
    private struct Failure: Error {}

    /// Connect fails twice, then each connection serves two steps before failing; every connection is closed.
    @Test func reconnectsAfterFailuresAndClosesEveryConnection() {
        let loop = ReconnectingLoop(name: "test")
        var log: [String] = []
        var attempts = 0
        var steps = 0
        loop.run(
            connect: { () throws -> Int in
                attempts += 1
                log.append("connect \(attempts)")
                if attempts <= 2 { throw Failure() }
                return attempts
            },
            close: { connection in log.append("close \(connection)") },
            onFailure: { _ in
                log.append("failure")
                loop.wake()  // skip the backoff
            },
            body: { connection in
                steps += 1
                log.append("step \(connection)")
                if steps == 5 { loop.stop() }
                if steps % 2 == 0 { throw Failure() }
            })
        #expect(
            log == [
                "connect 1", "failure", "connect 2", "failure",
                "connect 3", "step 3", "step 3", "close 3", "failure",
                "connect 4", "step 4", "step 4", "close 4", "failure",
                "connect 5", "step 5", "close 5",
            ])
    }

    @Test func stopInterruptsTheBackoff() async {
        let loop = ReconnectingLoop(name: "test")
        let failed = WakeSignal()
        let finished = Atomic<Bool>(false)
        // Times from stop() to the end of the loop, in nanoseconds of the monotonic clock (scheduling delays of a
        // busy machine before the stop do not count).
        let stoppedAt = Atomic<Int64>(0)
        let finishedAt = Atomic<Int64>(0)
        @Sendable func now() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds) }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.start {
                loop.run(
                    connect: { () throws -> Int in throw Failure() }, close: { _ in }, onFailure: { _ in failed.signal() },
                    body: { _ in }, backoff: Backoff(initial: 30))
                finishedAt.store(now(), ordering: .sequentiallyConsistent)
                finished.store(true, ordering: .relaxed)
                done.resume()
            }
            Thread.detachNewThread {
                failed.wait(seconds: 5)
                stoppedAt.store(now(), ordering: .sequentiallyConsistent)
                loop.stop()
            }
        }
        let didFinish = finished.load(ordering: .relaxed)
        #expect(didFinish)
        let waited = Duration.nanoseconds(finishedAt.load(ordering: .sequentiallyConsistent) - stoppedAt.load(ordering: .sequentiallyConsistent))
        #expect(waited < .seconds(5), "the loop went on \(waited) after stop(), in a backoff of 30 s")
    }

    @Test func aSignalBeforeTheWaitIsNotLost() {
        let signal = WakeSignal()
        signal.signal()
        let started = ContinuousClock.now
        signal.wait(seconds: 5)
        #expect(ContinuousClock.now - started < .seconds(1))
    }
}
