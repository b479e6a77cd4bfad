import Testing

@testable import MsgctlKit

/// The progress line's model: counts, rate, time left and how they read; when the line is redrawn.
@Suite struct ProgressModelTests {
    @Test(arguments: [(0, "0"), (7, "7"), (999, "999"), (1000, "1,000"), (12_345, "12,345"), (1_234_567, "1,234,567"), (-4200, "-4,200")])
    func countsHaveThousandsSeparators(_ value: Int, _ text: String) {
        #expect(ProgressModel.count(value) == text)
    }

    @Test(arguments: [
        (0.0, "0.0s"), (0.44, "0.4s"), (9.94, "9.9s"), (9.96, "10s"), (42.4, "42s"), (59.6, "1m00s"), (185, "3m05s"), (3599.4, "59m59s"),
        (3600, "1h00m"), (7620, "2h07m"), (-1, "?"), (Double.infinity, "?"),
    ])
    func durationsReadShortly(_ seconds: Double, _ text: String) {
        #expect(ProgressModel.duration(seconds) == text)
    }

    @Test func rateAndTimeLeftComeFromTheAverageSinceTheStart() {
        var model = ProgressModel(title: "export", unit: "rows", estimate: 10_000, started: 100)
        model.done = 2_500
        // No rate in the first second: a first batch says little.
        #expect(model.rate(at: 100.5) == nil)
        #expect(model.remaining(at: 100.5) == nil)
        #expect(model.rate(at: 102) == 1_250)
        #expect(model.remaining(at: 102) == 6)
        #expect(model.fraction == 0.25)
        #expect(model.line(at: 102) == "export: 2,500 of ~10,000 rows (25%)  1,250 rows/s  elapsed 2.0s  left ~6.0s")
    }

    @Test func anEstimateThatWasTooLowIsDropped() {
        var model = ProgressModel(title: "export", unit: "rows", estimate: 100, started: 0)
        model.done = 99_999
        #expect(model.fraction == nil)
        model.done = 150
        #expect(model.fraction == nil)
        #expect(model.remaining(at: 10) == nil)
        #expect(model.line(at: 10) == "export: 150 rows  15 rows/s  elapsed 10s")
    }

    @Test func theFractionStopsShortOfAHundredWhileRunning() {
        var model = ProgressModel(title: "x", unit: "files", estimate: 1_000, started: 0)
        model.done = 999
        #expect(model.fraction == 0.99)
        #expect(model.line(at: 3).hasPrefix("x: 999 of ~1,000 files (99%)"))
    }

    @Test func slowRatesKeepATenth() {
        var model = ProgressModel(title: "attachments purge", unit: "files", estimate: nil, started: 0)
        model.done = 3
        #expect(model.line(at: 4) == "attachments purge: 3 files  0.8 files/s  elapsed 4.0s")
    }

    @Test func workMeasuredInTimeShowsItsTitleAndTheTimeOnly() {
        let model = ProgressModel(title: "db migrate: 25 message_client_keys, validate the client_key check (step 2 of 4)", started: 10)
        #expect(model.rate(at: 50) == nil)
        #expect(model.line(at: 22.4) == "db migrate: 25 message_client_keys, validate the client_key check (step 2 of 4)  elapsed 12s")
    }

    @Test func nothingIsDrawnBeforeTheDelayThenAtMostOncePerInterval() {
        var redraw = ProgressRedraw(delay: 0.5, interval: 0.25)
        func draws(_ now: Double) -> Bool { redraw.shouldDraw(at: now, started: 10) }
        #expect(!draws(10.2))
        #expect(!redraw.hasDrawn)
        #expect(draws(10.5))
        #expect(redraw.hasDrawn)
        #expect(!draws(10.6))
        #expect(!draws(10.74))
        #expect(draws(10.75))
        // Over a second of 50 ms ticks: 4 drawings, not 20.
        var drawn = 0
        for tick in 0..<20 where draws(11 + Double(tick) * 0.05) { drawn += 1 }
        #expect(drawn == 4)
    }

    @Test func aLongLineIsCutToTheTerminalSoItNeverWraps() {
        let line = String(repeating: "a", count: 100)
        #expect(ProgressLine.fit(line, columns: 80).count == 79)
        #expect(ProgressLine.fit(line, columns: 80).hasSuffix("…"))
        #expect(ProgressLine.fit("short", columns: 80) == "short")
        #expect(ProgressLine.fit(line, columns: 3).count == 10)
    }
}
