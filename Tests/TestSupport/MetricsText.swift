import Foundation

/// A relay's `GET /metrics` answer (Prometheus text format), read the way the tests need it.
package struct MetricsText: Sendable {
    package let text: String

    package init(_ text: String) { self.text = text }

    /// The value of one series, named as exported (`name{label="value",...}` with the labels in the relay's order);
    /// nil when it is not exported.
    package func value(_ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Every metric family with its type, from the `# TYPE` lines.
    package var types: [String: String] {
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
        }
        return types
    }

    /// Whether PromQL may name `name`: a family exported, or a histogram's `_bucket`, `_sum` or `_count` series
    /// (a summary's `_sum` or `_count`).
    package func exports(_ name: String) -> Bool {
        let types = self.types
        if let type = types[name] { return type != "histogram" && type != "summary" }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            switch types[String(name.dropLast(suffix.count))] {
            case "histogram": return true
            case "summary": return suffix != "_bucket"
            default: continue
            }
        }
        return false
    }
}

extension TestRelay {
    /// The relay's metrics now.
    package func metrics() async throws -> MetricsText {
        MetricsText(try await request("GET", "/metrics").text)
    }
}
