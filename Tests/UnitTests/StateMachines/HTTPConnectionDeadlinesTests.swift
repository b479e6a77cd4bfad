import NIOCore
import Testing

@testable import RelayKit

/// The deadlines of an HTTP connection, driven by hand with a made-up clock.
@Suite struct HTTPConnectionDeadlinesTests {
    static let timeouts = HTTPTimeouts(header: .seconds(10), body: .seconds(30), idle: .seconds(60))
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func at(_ seconds: Double) -> NIODeadline { start + .nanoseconds(Int64(seconds * 1e9)) }
    func deadlines() -> HTTPConnectionDeadlines { HTTPConnectionDeadlines(timeouts: Self.timeouts, drainLimit: 1000, now: start) }

    @Test func aSilentConnectionHasTheHeaderTimeout() {
        let d = deadlines()
        #expect(!d.isExpired(at: at(9.9)))
        #expect(d.isExpired(at: at(10)))
    }

    @Test func aTrickledHeadIsCutAtTheHeaderTimeoutWhateverArrives() {
        var d = deadlines()
        for second in 1...9 {
            d.bytesArrived(at: at(Double(second)))
            d.readRequested(at: at(Double(second)))
        }
        #expect(d.isExpired(at: at(10)))
    }

    @Test func aBodyMayKeepTheRelayWaitingThirtySecondsInAll() {
        var d = deadlines()
        d.headRead()
        d.bytesArrived(at: at(1))
        // Trickled: 9 s of waiting before each byte.
        var now = 1.0
        for _ in 0..<3 {
            d.readRequested(at: at(now))
            now += 9
            #expect(!d.isExpired(at: at(now)))
            d.bytesArrived(at: at(now))
        }
        d.readRequested(at: at(now))
        #expect(!d.isExpired(at: at(now + 2.9)))
        #expect(d.isExpired(at: at(now + 3)))
    }

    @Test func timeTheRelayHoldsOffReadingDoesNotCount() {
        var d = deadlines()
        d.headRead()
        d.bytesArrived(at: at(1))
        // No read asked for 100 s (the handler waits for the database): not the client's fault.
        #expect(!d.isExpired(at: at(101)))
        d.readRequested(at: at(101))
        #expect(!d.isExpired(at: at(130)))
        #expect(d.isExpired(at: at(131)))
    }

    @Test func aKeptAliveConnectionIsIdleUntilTheNextRequestsFirstByte() {
        var d = deadlines()
        d.headRead()
        d.requestEnded(at: at(1))
        d.bytesArrived(at: at(1))  // the read that held the request's end starts nothing
        #expect(!d.isExpired(at: at(50)))  // answering: no deadline
        d.answerEnded(at: at(50))
        #expect(!d.isExpired(at: at(109)))
        #expect(d.isExpired(at: at(110)))
        d.bytesArrived(at: at(100))  // a new request's first byte: its head has 10 s
        #expect(!d.isExpired(at: at(109)))
        #expect(d.isExpired(at: at(110)))
        d.headRead()
        d.requestEnded(at: at(105))
        #expect(!d.isExpired(at: at(1000)))
    }

    @Test func anAnswerBeforeTheBodyEndsLeavesALimitedDrain() {
        var d = deadlines()
        d.headRead()
        d.bytesArrived(at: at(1))
        d.answerEnded(at: at(2))  // a 413 before the body was read
        let first = d.bodyRead(bytes: 600)
        let second = d.bodyRead(bytes: 600)
        #expect(first && !second)
        var e = deadlines()
        e.headRead()
        e.answerEnded(at: at(2))
        #expect(!e.isExpired(at: at(11.9)))
        #expect(e.isExpired(at: at(12)))
        e.requestEnded(at: at(3))
        #expect(!e.isExpired(at: at(12)))
    }

    @Test func aClientThatReadsNothingOfTheAnswerIsCutAfterTheIdleTimeout() {
        var d = deadlines()
        d.headRead()
        d.requestEnded(at: at(1))
        d.writabilityChanged(isWritable: false, at: at(2))
        #expect(!d.isExpired(at: at(61)))
        d.writabilityChanged(isWritable: false, at: at(30))
        #expect(d.isExpired(at: at(62)))
        d.writabilityChanged(isWritable: true, at: at(62))
        #expect(!d.isExpired(at: at(62)))
    }

    @Test func readsEnvironment() throws {
        let parsed = try HTTPTimeouts.fromEnvironment([
            "HTTP_HEADER_TIMEOUT_SECONDS": "2.5", "HTTP_BODY_TIMEOUT_SECONDS": "4", "HTTP_IDLE_TIMEOUT_SECONDS": "90",
        ])
        #expect(parsed == HTTPTimeouts(header: .milliseconds(2500), body: .seconds(4), idle: .seconds(90)))
        #expect(try HTTPTimeouts.fromEnvironment([:]) == Self.timeouts)
        #expect(throws: (any Error).self) { try HTTPTimeouts.fromEnvironment(["HTTP_HEADER_TIMEOUT_SECONDS": "0"]) }
    }
}
