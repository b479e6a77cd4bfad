import MsgLib

/// One line of `msgctl doctor`: what was checked, how it went, what was seen, and how to fix a problem.
struct DoctorCheck: Sendable, Equatable, Encodable {
    enum Status: String, Sendable, Encodable {
        case ok, warn, fail
        /// Not checked: what it needs (the database) failed its own check.
        case skip
    }

    /// A stable identifier: `database`, `migrations`, `relay`, `jwt_secret`, `vapid`, `slack`, `outbox`, `clock`.
    var name: String
    var status: Status
    /// What was found, for people (and for scripts, as text).
    var detail: String
    /// What to do about a failure or a warning; nil when all is well.
    var fix: String?
    /// The exit status a failure of this check stands for (man/msgctl.1, EXIT STATUS); unused unless it fails.
    var failureStatus: ExitStatus = .failure

    enum CodingKeys: String, CodingKey {
        case name, status, detail, fix
    }

    static func ok(_ name: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(name: name, status: .ok, detail: detail)
    }

    static func warn(_ name: String, _ detail: String, fix: String) -> DoctorCheck {
        DoctorCheck(name: name, status: .warn, detail: detail, fix: fix)
    }

    static func fail(_ name: String, _ detail: String, fix: String, status: ExitStatus) -> DoctorCheck {
        DoctorCheck(name: name, status: .fail, detail: detail, fix: fix, failureStatus: status)
    }

    static func skip(_ name: String, because reason: String) -> DoctorCheck {
        DoctorCheck(name: name, status: .skip, detail: "not checked: \(reason)")
    }

    /// Encodes `fix` as null when there is none, so every object has the same four keys.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(status, forKey: .status)
        try container.encode(detail, forKey: .detail)
        try container.encode(fix, forKey: .fix)
    }
}
