import Foundation
import MsgLib

/// Timestamps for people: local time, to the minute (machine formats stay RFC 3339 UTC).
enum HumanTime {
    private static let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter
    }()

    static func format(_ timestamp: Timestamp?) -> String {
        guard let timestamp else { return "-" }
        return formatter.string(from: Date(timeIntervalSince1970: Double(timestamp.microsecondsSinceEpoch) / 1e6))
    }
}
