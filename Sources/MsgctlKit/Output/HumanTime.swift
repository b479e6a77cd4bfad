import Foundation
import MsgLib

/// Timestamps for people: local time, to the minute (machine formats stay RFC 3339 UTC).
enum HumanTime {
    private static let minutes = formatter("yyyy-MM-dd HH:mm")
    private static let seconds = formatter("yyyy-MM-dd HH:mm:ss")

    /// The zone times are shown in: TZ's, as `msgctl stats` counts days in it (the system's when TZ names none).
    static let zone: TimeZone = (try? zoneName(ProcessInfo.processInfo.environment["TZ"])).flatMap(TimeZone.init(identifier:)) ?? .current

    /// The zone TZ names, as given (a leading `:` is glibc's and left out), else the system's. A TZ that names no zone is
    /// refused: Foundation would fall back on the system's (UTC) without a word, and read `:Europe/Paris` so too.
    static func zoneName(_ tz: String?) throws -> String {
        guard let tz, !tz.isEmpty else { return TimeZone.current.identifier }
        let name = tz.hasPrefix(":") ? String(tz.dropFirst()) : tz
        // A file (`:/etc/localtime`): the zone Foundation read from it.
        if name.hasPrefix("/") { return TimeZone.current.identifier }
        guard TimeZone(identifier: name) != nil else {
            throw UserFacingError(
                "TZ=\(TerminalText.escaped(tz)) is not a time zone: give an IANA name such as Europe/Paris (or unset TZ for the system's)",
                exitStatus: .config)
        }
        return name
    }

    private static func formatter(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
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
