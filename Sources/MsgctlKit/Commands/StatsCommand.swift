import ArgumentParser
import Foundation
import MsgLib

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show the success metrics: messages per day, active conversations, unread backlog, time to first response.",
        discussion: "Days are counted in the local time zone (TZ). A wait for a first response starts with a user's message that follows "
            + "an admin's and ends at the next admin message; waits still open count as waiting.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var admin: AdminOptions
    @OptionGroup var output: OutputOptions
    @Option(help: ArgumentHelp("Start of the window: RFC 3339, or a span back from now such as 30d, 12h, 2w.", valueName: "time"))
    var since = "30d"
    @Option(help: ArgumentHelp("End of the window (default: now), in the same forms.", valueName: "time"))
    var until: String?

    func validate() throws {
        if TimeWindow.parse(since) == nil { throw ValidationError("--since must be \(TimeWindow.expected)") }
        if let until, TimeWindow.parse(until) == nil { throw ValidationError("--until must be \(TimeWindow.expected)") }
        let now = Timestamp.now()
        let end = until.flatMap { TimeWindow.parse($0, now: now) } ?? now
        if let start = TimeWindow.parse(since, now: now), start >= end {
            throw ValidationError("--since must be before --until")
        }
    }

    func run() async throws {
        let now = Timestamp.now()
        let start = TimeWindow.parse(since, now: now)!
        let end = until.flatMap { TimeWindow.parse($0, now: now) } ?? now
        // Days are counted in the zone times are shown in.
        let timezone = try HumanTime.zoneName(ProcessInfo.processInfo.environment["TZ"])
        // First response is computed beside the other figures, on a second connection.
        let statistics = try await connection.withService(connections: 2) { service in
            try await service.statistics(viewer: try await service.admin(named: admin.admin), since: start, until: end, timezone: timezone)
        }
        if output.json {
            try JSONOutput.print(statistics)
        } else {
            FileOutput.standardOutput.write(Self.render(statistics, color: Terminal.standardOutputHasColor))
        }
    }

    /// The report for people: figures, with a sparkline of each per-day series.
    static func render(_ s: Statistics, color: Bool) -> String {
        func label(_ text: String) -> String { (color ? Terminal.bold(text) : text) + String(repeating: " ", count: max(1, 22 - text.count)) }
        let fromUsers = s.days.map(\.fromUsers)
        let fromAdmins = s.days.map(\.fromAdmins)
        let first = s.days.first?.date ?? ""
        let last = s.days.last?.date ?? ""
        var text = "\(first) to \(last), \(s.days.count) days (\(s.timezone))\n"
        text += label("messages") + "\(s.messages)\n"
        text += label("  from users") + pad(fromUsers.reduce(0, +)) + Sparkline.render(fromUsers) + "  max \(fromUsers.max() ?? 0)/day\n"
        text += label("  handled by admins") + pad(fromAdmins.reduce(0, +)) + Sparkline.render(fromAdmins) + "  max \(fromAdmins.max() ?? 0)/day\n"
        text += label("conversations") + "\(s.activeConversations) active, \(s.newConversations) new\n"
        text += label("users") + "\(s.activeUsers) active, \(s.returningUsers) returning\n"
        let oldest = s.oldestUnreadAt.map { ", oldest \(HumanTime.format($0))" } ?? ""
        text += label("unread backlog") + "\(s.unreadMessages) messages in \(s.unreadConversations) conversations\(oldest)\n"
        let median = s.firstResponse.medianSeconds.map(Self.duration) ?? "-"
        let p90 = s.firstResponse.p90Seconds.map(Self.duration) ?? "-"
        text += label("first response") + "median \(median), p90 \(p90) (\(s.firstResponse.answered) answered, \(s.firstResponse.waiting) waiting)\n"
        text += label("notifications") + "\(s.notificationsPending) pending, \(s.notificationsFailed) failed\n"
        return text
    }

    private static func pad(_ value: Int) -> String {
        let text = String(value)
        return text + String(repeating: " ", count: max(1, 8 - text.count))
    }

    /// `95` → "1m 35s", `7200` → "2h 0m", `90000` → "1d 1h".
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        switch total {
        case ..<60: return "\(total)s"
        case ..<3600: return "\(total / 60)m \(total % 60)s"
        case ..<86_400: return "\(total / 3600)h \(total % 3600 / 60)m"
        default: return "\(total / 86_400)d \(total % 86_400 / 3600)h"
        }
    }
}

/// Small text charts: one block character per value, its height relative to the largest.
enum Sparkline {
    static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// Zero draws as a space, any other value as at least the lowest block.
    static func render(_ values: [Int]) -> String {
        guard let top = values.max(), top > 0 else { return String(repeating: " ", count: values.count) }
        return String(
            values.map { value -> Character in
                guard value > 0 else { return " " }
                let level = Int((Double(value) / Double(top) * Double(blocks.count)).rounded(.up)) - 1
                return blocks[min(max(level, 0), blocks.count - 1)]
            })
    }
}
