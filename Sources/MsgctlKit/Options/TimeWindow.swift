import MsgLib

/// Points in time as an admin types them on the command line: an RFC 3339 time, or a span back from now.
package enum TimeWindow {
    /// Parses `2026-11-01T00:00:00Z` (RFC 3339), or `30d`, `12h`, `90m`, `45s`, `2w` meaning that long before
    /// `now`. Nil for anything else.
    package static func parse(_ text: String, now: Timestamp = .now()) -> Timestamp? {
        if let time = Timestamp(rfc3339: text) { return time }
        guard let unit = text.last, let count = Int(text.dropLast()), count >= 0 else { return nil }
        let seconds: Int
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        case "d": seconds = 86_400
        case "w": seconds = 7 * 86_400
        default: return nil
        }
        let (span, overflow) = count.multipliedReportingOverflow(by: seconds)
        guard !overflow, span <= 100 * 365 * 86_400 else { return nil }
        return now.adding(seconds: -Double(span))
    }

    /// What `parse` accepts, for error messages.
    package static let expected = "an RFC 3339 time (2026-11-01T09:00:00Z) or a span back from now (30d, 12h, 90m, 2w)"
}
