import MsgLib

/// Every check of a `msgctl doctor` run: the checklist for people, one JSON object for scripts, and the exit status.
struct DoctorReport: Sendable, Equatable, Encodable {
    var checks: [DoctorCheck]

    /// `fail` when a check failed, `warn` when one warned, otherwise `ok`.
    var status: DoctorCheck.Status {
        if checks.contains(where: { $0.status == .fail }) { return .fail }
        if checks.contains(where: { $0.status == .warn }) { return .warn }
        return .ok
    }

    /// The failure status of the first check that failed, in the order they are listed (the database before what
    /// needs it); success when none failed.
    var exitStatus: ExitStatus {
        checks.first { $0.status == .fail }?.failureStatus ?? .success
    }

    enum CodingKeys: String, CodingKey {
        case status, checks
    }

    /// `{"status": ..., "checks": [{"name", "status", "detail", "fix"}, ...]}`.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(checks, forKey: .checks)
    }

    /// The checklist: one line per check, `fix:` under each failure and warning, a summary line. Everything seen
    /// goes through ``TerminalText`` (errors quote relays, push services and Slack).
    func text(bold: Bool = false) -> String {
        let width = checks.map(\.name.count).max() ?? 0
        var lines: [String] = []
        for check in checks {
            let word = check.status.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0)
            let shown = bold && (check.status == .fail || check.status == .warn) ? Terminal.bold(word) : word
            lines.append("\(shown)  \(check.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(TerminalText.escaped(check.detail))")
            if let fix = check.fix {
                lines.append(String(repeating: " ", count: 6 + width + 2) + "fix: " + TerminalText.escaped(fix))
            }
        }
        let failed = checks.filter { $0.status == .fail }.count
        let warned = checks.filter { $0.status == .warn }.count
        lines.append(
            failed + warned == 0
                ? "all \(checks.count) checks passed"
                : "\(failed) failed, \(warned) warning\(warned == 1 ? "" : "s") (of \(checks.count) checks)")
        return lines.joined(separator: "\n") + "\n"
    }
}
