import Foundation
import MsgLib

/// What `msgctl doctor` makes of what it observed: each function turns one observation into a ``DoctorCheck``,
/// without I/O (``DoctorCommand`` observes).
enum DoctorJudge {
    // MARK: database

    /// The connection: server version, encryption, a writable primary.
    static func database(_ info: MessagingService.DatabaseInfo?, error: String?) -> DoctorCheck {
        guard let info else {
            return .fail(
                "database", "cannot connect: \(error ?? "unknown error")",
                fix: "check DATABASE_URL (or --database-url, the PG* variables), that PostgreSQL runs, and that pg_hba.conf lets this host in",
                status: .unavailable)
        }
        let local = isLocal(info.host)
        let place = info.host.map { $0.hasPrefix("/") ? "the Unix socket in \($0)" : $0 } ?? "the default socket"
        let detail =
            "PostgreSQL \(info.serverVersion) on \(place), sslmode \(info.sslMode), " + (info.tls.map { "encrypted (\($0))" } ?? "not encrypted")
        guard info.writable else {
            return .fail(
                "database", detail + "; the server is read-only (a standby, or a read-only session)",
                fix: "point DATABASE_URL at the primary (target_session_attrs=read-write lists several hosts)", status: .unavailable)
        }
        if info.tls == nil, !local {
            return .warn("database", detail, fix: "add sslmode=verify-full (with the server's CA) to DATABASE_URL: the connection crosses a network")
        }
        return .ok("database", detail)
    }

    /// Whether `host` (as libpq reports it) is this machine: a Unix socket folder, localhost, a loopback address.
    static func isLocal(_ host: String?) -> Bool {
        guard let host, !host.isEmpty else { return true }
        return host.hasPrefix("/") || host.hasPrefix("@") || host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }

    // MARK: migrations

    static func migrations(_ status: [Migrator.Status]) -> DoctorCheck {
        let pending = status.filter { !$0.isApplied }
        let applied = status.count - pending.count
        guard pending.isEmpty else {
            let names = pending.prefix(3).map { "\($0.id) \($0.name)" }.joined(separator: ", ") + (pending.count > 3 ? ", ..." : "")
            return .fail(
                "migrations", "\(applied) applied, \(pending.count) pending: \(names)",
                fix: "run msgctl db migrate as the database's owner; relays refuse to start until then", status: .config)
        }
        return .ok("migrations", "\(applied) applied, none pending" + (status.last.map { " (latest: \($0.id) \($0.name))" } ?? ""))
    }

    // MARK: relay

    /// What the relay's `/readyz` answered.
    enum Probe: Sendable, Equatable {
        /// An HTTP answer, with the `error` of a JSON error body.
        case answered(status: Int, error: String?)
        /// No answer: connection refused, timeout, name not found.
        case unreachable(String)
    }

    static func relay(_ url: String, _ probe: Probe) -> DoctorCheck {
        let fixAddress = "start msgrelay (systemctl start msgrelay), or give its address with --relay or MSGRELAY_URL"
        switch probe {
        case .answered(200, _):
            return .ok("relay", "\(url)/readyz: ready")
        case .answered(503, let error):
            return .fail(
                "relay", "\(url)/readyz: not ready (\(error ?? "HTTP 503"))",
                fix: "the relay cannot write to its database: check its DATABASE_URL, and that it reaches the primary", status: .unavailable)
        case .answered(let status, _):
            return .fail("relay", "\(url)/readyz answered HTTP \(status): is msgrelay at this address?", fix: fixAddress, status: .unavailable)
        case .unreachable(let reason):
            return .fail("relay", "\(url)/readyz: \(reason)", fix: fixAddress, status: .unavailable)
        }
    }

    // MARK: JWT secret

    /// Bytes of secret that HS256 needs to be as strong as its hash (RFC 7518, section 3.2).
    static let recommendedSecretBytes = 32

    /// - Parameter relayAccepts: whether the relay took a token signed with the secret; nil when not asked.
    static func jwtSecret(_ secret: String?, relayAccepts: Bool?) -> DoctorCheck {
        guard let secret, !secret.isEmpty else {
            return .fail(
                "jwt_secret", "JWT_SECRET is not set",
                fix: "export the relay's JWT_SECRET (from its environment file) before running msgctl", status: .config)
        }
        let bytes = secret.utf8.count
        if relayAccepts == false {
            return .fail(
                "jwt_secret", "\(bytes) bytes, but the relay refuses a token signed with it: it is not the relay's secret",
                fix: "use the JWT_SECRET the relays run with", status: .config)
        }
        let accepted = relayAccepts == true ? "; the relay accepts tokens signed with it" : ""
        guard bytes >= recommendedSecretBytes else {
            return .warn(
                "jwt_secret", "\(bytes) bytes\(accepted); \(recommendedSecretBytes) or more are recommended for HS256 (RFC 7518, 3.2)",
                fix: "make a longer one (openssl rand -base64 48), set it for every relay and for msgctl, restart the relays "
                    + "(tokens signed with the old one stop working)")
        }
        return .ok("jwt_secret", "\(bytes) bytes\(accepted)")
    }

    // MARK: VAPID

    /// The Web Push keys of the environment: all three or none, well formed, the public key the private one's.
    static func vapid(_ environment: [String: String]) -> DoctorCheck {
        func value(_ key: String) -> String? {
            environment[key].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        }
        let publicKey = value("VAPID_PUBLIC_KEY")
        let privateKey = value("VAPID_PRIVATE_KEY")
        let subject = value("VAPID_SUBJECT")
        let generate = "msgctl vapid generate prints a new pair; browsers subscribed with the old public key must subscribe again"
        switch (publicKey, privateKey, subject) {
        case (nil, nil, nil):
            return .ok("vapid", "not configured: Web Push is off")
        case (let publicKey?, let privateKey?, let subject?):
            let keys: VAPIDKeys
            do {
                keys = try VAPIDKeys(publicKey: publicKey, privateKey: privateKey)
            } catch {
                return .fail("vapid", error.message, fix: generate, status: .config)
            }
            do {
                _ = try VAPIDSigner(keys: keys, subject: subject)
            } catch {
                return .fail("vapid", error.message, fix: "set VAPID_SUBJECT to mailto:you@example.org or an https: URL", status: .config)
            }
            return .ok("vapid", "the public key matches the private key (\(keys.publicKeyBase64URL.prefix(12))...), subject \(subject)")
        default:
            let missing = [("VAPID_PUBLIC_KEY", publicKey), ("VAPID_PRIVATE_KEY", privateKey), ("VAPID_SUBJECT", subject)]
                .filter { $0.1 == nil }.map(\.0)
            return .fail(
                "vapid", "\(missing.joined(separator: " and ")) unset: the three go together",
                fix: "set all three (\(generate)) or none", status: .config)
        }
    }

    // MARK: Slack

    /// How a test message sent with `--send` went.
    enum SlackSend: Sendable, Equatable {
        case accepted
        case refused(String)
    }

    /// - Parameters:
    ///   - configurationError: what the Slack (and notification) settings of the environment are refused for.
    ///   - status: the mode and the stored installation, nil when not read.
    ///   - sent: the `--send` test, nil when not asked.
    static func slack(configurationError: String?, status: SlackStatus?, sent: SlackSend?) -> DoctorCheck {
        if let configurationError {
            // The notification settings are read together: a push or outbox setting may be the one at fault.
            guard configurationError.contains("SLACK_") else {
                return .fail(
                    "notifications", configurationError, fix: "correct the setting it names (docs/notifications.md, docs/deploy.md)",
                    status: .config)
            }
            return .fail("slack", configurationError, fix: "correct the Slack settings (docs/slack.md), or unset them", status: .config)
        }
        guard let status else { return .skip("slack", because: "the database is unreachable") }
        var detail: String
        switch status.mode {
        case .off: return .ok("slack", "not configured: no Slack notices" + (sent == nil ? "" : "; nothing to send a test to"))
        case .webhook: detail = "webhook notices (SLACK_WEBHOOK_URL)"
        case .appEnvironment: detail = "app mode (SLACK_BOT_TOKEN)"
        case .appInstallation:
            detail = "app mode (installed in \(status.installation.map { "\($0.teamName), channel \($0.channelName ?? $0.channelId)" } ?? "?"))"
        }
        if status.mode == .appInstallation, let installation = status.installation, installation.tokenDecrypts != true {
            let why =
                installation.tokenDecrypts == nil
                ? "SLACK_TOKEN_KEY is not set, so the stored bot token cannot be read"
                : "SLACK_TOKEN_KEY does not decrypt the stored bot token (sealed under key \(installation.tokenKeyId))"
            return .fail("slack", detail + "; " + why, fix: "set the SLACK_TOKEN_KEY the app was installed with, or install again", status: .config)
        }
        switch sent {
        case .accepted?: detail += "; Slack accepted the test message"
        case .refused(let reason)?:
            return .fail(
                "slack", detail + "; Slack refused the test message: \(reason)", fix: "msgctl slack test shows Slack's answer; see docs/slack.md",
                status: .tempFail)
        case nil: break
        }
        return .ok("slack", detail)
    }

    // MARK: outbox

    /// A due notification waiting longer than this means no relay is sending.
    static let overdueWarning = 120.0

    static func outbox(_ health: OutboxHealth) -> DoctorCheck {
        var detail = "\(health.waiting) waiting"
        if let due = health.oldestDueSeconds, due >= 1 { detail += " (the oldest due \(ProgressModel.duration(due)) ago)" }
        detail += ", \(health.failed) given up"
        if let failure = health.oldestFailure {
            detail += "; oldest failure: \(failure.kind), \(ProgressModel.duration(failure.secondsAgo)) ago: \(failure.error)"
            let advice =
                failure.kind == "push"
                ? "check the relays' VAPID keys and try msgctl push test --user U"
                : "msgctl slack test shows what Slack answers"
            return .fail(
                "outbox", detail,
                fix: "\(advice); given-up jobs stay for you to read: once fixed, remove them "
                    + "(DELETE FROM notification_outbox WHERE failed_at IS NOT NULL)",
                status: .tempFail)
        }
        if let due = health.oldestDueSeconds, due > overdueWarning {
            return .warn("outbox", detail, fix: "no relay seems to send notifications: check that the relays run and their logs")
        }
        return .ok("outbox", detail)
    }

    // MARK: clock

    /// Skew above this is a warning (times shown and tokens' expiry drift), above ``clockFailure`` a failure.
    static let clockWarning = 1.0
    static let clockFailure = 30.0

    /// This host's clock against the database's, read between `before` and `after` here: the skew is measured from
    /// the middle of the round trip, and only what exceeds half of it counts.
    static func clock(before: Timestamp, database: Timestamp, after: Timestamp) -> DoctorCheck {
        let roundTrip = max(0, after.seconds(since: before))
        let middle = before.adding(seconds: roundTrip / 2)
        let skew = database.seconds(since: middle)
        let certain = max(0, abs(skew) - roundTrip / 2)
        let direction = skew > 0 ? "behind" : "ahead of"
        let detail =
            abs(skew) < 0.001
            ? "this host and the database agree (within \(String(format: "%.3f", roundTrip / 2)) s)"
            : "this host is \(String(format: "%.3f", abs(skew))) s \(direction) the database (±\(String(format: "%.3f", roundTrip / 2)) s)"
        let fix = "synchronise both clocks (systemd-timesyncd, chrony or ntpd)"
        if certain > clockFailure { return .fail("clock", detail, fix: fix, status: .failure) }
        if certain > clockWarning { return .warn("clock", detail, fix: fix) }
        return .ok("clock", detail)
    }
}
