import TestSupport
import Testing

@testable import RelayKit

@Suite struct BackoffTests {
    @Test func theDefaultsDoubleFromATenthToFiveSeconds() {
        var backoff = Backoff()
        let delays = (0..<9).map { _ in backoff.next() }
        #expect(delays == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5, 5, 5])
    }

    @Test func resetStartsAgainFromTheInitialDelay() {
        var backoff = Backoff()
        for _ in 0..<4 { _ = backoff.next() }
        backoff.reset()
        let delays = [backoff.next(), backoff.next()]
        #expect(delays == [0.1, 0.2])
    }

    @Test(arguments: [
        (0.1, 2.0, 5.0), (0.5, 1.5, 30.0), (1.0, 1.0, 1.0), (0.0, 2.0, 1.0), (10.0, 2.0, 5.0), (0.001, 3.0, 0.5),
    ])
    func delaysGrowToTheMaximumAndNeverBeyond(initial: Double, factor: Double, maximum: Double) {
        var backoff = Backoff(initial: initial, factor: factor, maximum: maximum)
        var previous = -1.0
        var delays: [Double] = []
        for _ in 0..<64 {
            let delay = backoff.next()
            #expect(delay >= previous && delay <= maximum)
            previous = delay
            delays.append(delay)
        }
        #expect(delays[0] == min(initial, maximum))
        if initial > 0 && factor > 1 { #expect(delays.last == maximum) }
        backoff.reset()
        let afterReset = backoff.next()
        #expect(afterReset == delays[0])
    }

    @Test(arguments: 0..<50)
    func randomFailuresAndSuccessesFollowTheSchedule(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        var backoff = Backoff()
        var failuresInARow = 0
        for _ in 0..<200 {
            if random.next() % 3 == 0 {
                backoff.reset()
                failuresInARow = 0
            } else {
                let expected = min(0.1 * Double(1 << min(failuresInARow, 20)), 5)
                let delay = backoff.next()
                #expect(abs(delay - expected) < 1e-12)
                failuresInARow += 1
            }
        }
    }
}
