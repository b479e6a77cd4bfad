import Foundation
import Histogram

/// Prints a benchmark's figures as one JSON object (for scripts) or one line (for people).
enum Report {
    static func latency(_ histogram: Histogram<UInt64>) -> [String: Double] {
        let ms = { (p: Double) in Double(histogram.valueAtPercentile(p)) / 1e6 }
        return ["p50_ms": ms(50), "p90_ms": ms(90), "p99_ms": ms(99), "p999_ms": ms(99.9), "max_ms": Double(histogram.max) / 1e6]
    }

    /// The `p`th percentile (0...100) of `sorted` (ascending) by nearest rank; 0 when empty.
    static func percentile(sorted: [Double], _ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p / 100))]
    }

    static func print(_ figures: [String: Double], json: Bool) {
        if json {
            let data = (try? JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])) ?? Data()
            Swift.print(String(decoding: data, as: UTF8.self))
        } else {
            Swift.print(figures.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.3f", $0.value))" }.joined(separator: " "))
        }
    }

    /// Nanoseconds up to `highestSeconds` (a value above is not recorded: `record` returns false).
    static func histogram(highestSeconds: UInt64 = 60) -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: highestSeconds * 1_000_000_000, numberOfSignificantValueDigits: .three)
    }
}

/// Raises the open-file limit to its hard maximum (thousands of sockets).
func raiseFileLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

/// Monotonic nanoseconds.
func nowNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
