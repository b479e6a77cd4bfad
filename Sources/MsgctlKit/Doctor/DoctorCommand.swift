import ArgumentParser
import Foundation
import MsgLib

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the installation: database, migrations, relay, JWT secret, VAPID keys, Slack, outbox, clock.",
        discussion: """
            One line per check, ok, warn, fail or skip (not checked, for want of the database), with the fix under each \
            failure and warning. Reads the relay's environment (DATABASE_URL, JWT_SECRET, VAPID_*, SLACK_*): run it as \
            `set -a; . /etc/msgrelay/msgrelay.env; set +a; msgctl doctor`. Exits 0 when nothing failed, otherwise with the status \
            of the first check that failed (69 database or relay unreachable, 78 configuration, 75 notifications refused, \
            1 clock).
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var relay: RelayOptions
    @Flag(help: "Print one JSON object: status, and each check's name, status, detail and fix.") var json = false
    @Flag(help: "Also post a test message to Slack (as msgctl slack test does).") var send = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let report = try await DoctorReport(checks: checks(environment))
        if json {
            try JSONOutput.print(report)
        } else {
            FileOutput.standardOutput.write(report.text(bold: Terminal.standardOutputHasColor))
        }
        if report.exitStatus != .success { throw ExitCode(report.exitStatus.rawValue) }
    }

    /// Observes everything, each check on its own: a failure in one never stops the others.
    private func checks(_ environment: [String: String]) async throws -> [DoctorCheck] {
        var withoutVAPID = environment
        for key in ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT"] { withoutVAPID[key] = nil }
        let notifications: NotificationConfiguration
        var slackError: String?
        do {
            notifications = try NotificationConfiguration.fromEnvironment(withoutVAPID)
        } catch {
            notifications = NotificationConfiguration()
            slackError = error.message
        }
        let relayURL = try relay.url(environment)
        let base = relayURL.absoluteString.hasSuffix("/") ? String(relayURL.absoluteString.dropLast()) : relayURL.absoluteString
        let client = HTTPClient(configuration: .init(allowInsecure: true, userAgent: "msgctl"))
        let probe = await Self.probe(client, base + "/readyz")
        let secret = environment["JWT_SECRET"]

        return try await connection.withService(notifications: notifications) { service in
            var checks: [DoctorCheck] = []
            let info: MessagingService.DatabaseInfo?
            do {
                info = try await service.databaseInfo()
                checks.append(DoctorJudge.database(info, error: nil))
            } catch {
                info = nil
                checks.append(DoctorJudge.database(nil, error: Self.describe(error)))
            }
            let noDatabase = "the database is unreachable"
            if info != nil {
                checks.append(
                    await Self.attempt("migrations") { DoctorJudge.migrations(try await service.pool.withConnection { try Migrator().status($0) }) })
            } else {
                checks.append(.skip("migrations", because: noDatabase))
            }
            checks.append(DoctorJudge.relay(Self.shown(base), probe))

            var accepted: Bool?
            if probe == .answered(status: 200, error: nil), let secret, !secret.isEmpty, info != nil,
                let admin = try? await service.users().first(where: \.isAdmin)
            {
                accepted = await Self.relayAccepts(client, base, token: JWTSigner(secret: secret).token(for: admin.id, ttl: 60))
            }
            checks.append(DoctorJudge.jwtSecret(secret, relayAccepts: accepted))
            checks.append(DoctorJudge.vapid(environment))

            if slackError != nil || info == nil {
                checks.append(DoctorJudge.slack(configurationError: slackError, status: nil, sent: nil))
            } else {
                checks.append(
                    await Self.attempt("slack") {
                        let status = try await service.pool.withConnection { db in try SlackStatus.read(db, notifications: notifications) }
                        var sent: DoctorJudge.SlackSend?
                        if send, status.mode != .off {
                            let outcome = try await service.testSlack()
                            sent = outcome.reason.map { .refused($0) } ?? .accepted
                        }
                        return DoctorJudge.slack(configurationError: nil, status: status, sent: sent)
                    })
            }

            if info != nil {
                checks.append(await Self.attempt("outbox") { DoctorJudge.outbox(try await service.outboxHealth()) })
                checks.append(
                    await Self.attempt("clock") {
                        let sample = try await service.sampleClocks()
                        return DoctorJudge.clock(before: sample.before, database: sample.database, after: sample.after)
                    })
            } else {
                checks += [.skip("outbox", because: noDatabase), .skip("clock", because: noDatabase)]
            }
            return checks
        }
    }

    /// Runs one check; an error it throws (the database went away meanwhile) is that check's failure.
    private static func attempt(_ name: String, _ body: () async throws -> DoctorCheck) async -> DoctorCheck {
        do {
            return try await body()
        } catch {
            return .fail(
                name, "could not be checked: \(describe(error))", fix: "run msgctl doctor again; see the database check", status: .unavailable)
        }
    }

    /// `GET url` on the relay.
    private static func probe(_ client: HTTPClient, _ url: String) async -> DoctorJudge.Probe {
        do {
            let response = try await client.send(HTTPClient.Request(url: url, method: .get, timeout: .seconds(5)))
            let body = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            return .answered(status: response.status, error: body?["error"] as? String)
        } catch {
            // The client's reasons start with the origin, which the check's detail already names.
            let reason = error.description
            let origin = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false).prefix(3).joined(separator: "/") + ": "
            return .unreachable(reason.hasPrefix(origin) ? String(reason.dropFirst(origin.count)) : reason)
        }
    }

    /// Whether the relay takes `token` (an admin's, signed with JWT_SECRET): nil when its answer says neither.
    private static func relayAccepts(_ client: HTTPClient, _ base: String, token: String) async -> Bool? {
        let request = HTTPClient.Request(
            url: base + "/api/conversations?limit=1", method: .get, headers: [("Authorization", "Bearer \(token)")], timeout: .seconds(5))
        guard let response = try? await client.send(request) else { return nil }
        return response.status == 200 ? true : response.status == 401 ? false : nil
    }

    /// `url` as doctor prints it: without a user name or password it may carry (its output is pasted into tickets).
    static func shown(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.user != nil || components.password != nil else { return url }
        (components.user, components.password) = (nil, nil)
        return components.string ?? url
    }

    /// An error as one line for a check's detail.
    private static func describe(_ error: any Error) -> String {
        let text =
            switch error {
            case let error as DatabaseError: error.message
            case let error as ServiceError: error.message
            default: "\(error)"
            }
        return text.split(separator: "\n").first.map(String.init) ?? "unknown error"
    }
}
