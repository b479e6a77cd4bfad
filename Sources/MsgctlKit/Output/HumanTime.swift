import Foundation
import MsgLib

/// Timestamps for people: local time, to the minute (machine formats stay RFC 3339 UTC).
enum HumanTime {
    private static let minutes = formatter("yyyy-MM-dd HH:mm")
    private static let seconds = formatter("yyyy-MM-dd HH:mm:ss")

    private static func formatter(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = format
        return formatter
    }

    static func format(_ timestamp: Timestamp?) -> String {
        guard let timestamp else { return "-" }
        return minutes.string(from: date(timestamp))
    }

    /// Local time to the second, for lines that arrive as they happen (`msgctl tail`).
    static func formatSeconds(_ timestamp: Timestamp) -> String {
        seconds.string(from: date(timestamp))
    }

    private static func date(_ timestamp: Timestamp) -> Date {
        Date(timeIntervalSince1970: Double(timestamp.microsecondsSinceEpoch) / 1e6)
    }
}
