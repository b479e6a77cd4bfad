import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// `msgctl doctor` against a real database and relay: a healthy installation passes every check; each fault is found,
/// named with its fix, and ends with the status of EXIT STATUS.
@Suite(.needsProcesses, .processSlot) struct DoctorTests {
    let msgctl = TestEnvironment.binary("msgctl")
    static let longSecret = "a-relay-secret-of-forty-bytes-0123456789"

    /// A migrated database with an admin, and a relay on it signing with `secret`.
    static func installation(secret: String = longSecret) async throws -> (TestRelay, PostgresConnection, Fixtures) {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: ["JWT_SECRET": secret])
        return (relay, db, f)
    }

    func doctor(_ relay: TestRelay, _ arguments: [String] = ["--json"], _ overrides: [String: String?] = [:]) async throws -> (
        ProcessResult, [String: [String: Any]]
    ) {
        var environment: [String: String?] = [
            "DATABASE_URL": relay.database.conninfo, "JWT_SECRET": Self.longSecret, "MSGRELAY_URL": "http://127.0.0.1:\(relay.port)",
            "VAPID_PUBLIC_KEY": nil, "VAPID_PRIVATE_KEY": nil, "VAPID_SUBJECT": nil, "SLACK_WEBHOOK_URL": nil, "SLACK_BOT_TOKEN": nil,
        ]
        for (key, value) in overrides { environment[key] = value }
        let result = try await ProcessRunner.runDetached(msgctl, ["doctor"] + arguments, environment: environment)
        guard arguments.contains("--json") else { return (result, [:]) }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
        var checks: [String: [String: Any]] = [:]
        for check in object["checks"] as? [[String: Any]] ?? [] { checks[check["name"] as? String ?? ""] = check }
        checks[""] = object
        return (result, checks)
    }

    @Test func aHealthyInstallationPassesEveryCheck() async throws {
        let (relay, _, _) = try await Self.installation()
        let keys = VAPIDKeys.generate()
        let slack = try RecordingHTTPServer()
        defer { slack.stop() }
        slack.respond { _ in .init(status: 200, text: "ok") }
        let settings: [String: String?] = [
            "VAPID_PUBLIC_KEY": keys.publicKeyBase64URL, "VAPID_PRIVATE_KEY": keys.privateKeyBase64URL, "VAPID_SUBJECT": "mailto:ops@example.org",
            "SLACK_WEBHOOK_URL": slack.url("/hook"), "ADMIN_URL_BASE": "https://admin.example.org",
        ]
        let (result, checks) = try await doctor(relay, ["--json", "--send"], settings)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(checks[""]?["status"] as? String == "ok")
        let names = ["database", "migrations", "relay", "jwt_secret", "vapid", "slack", "outbox", "clock"]
        #expect(Set(checks.keys.filter { !$0.isEmpty }) == Set(names))
        for name in names {
            #expect(checks[name]?["status"] as? String == "ok", "\(name): \(checks[name] ?? [:])")
            #expect(checks[name]?["fix"] is NSNull)
        }
        #expect((checks["database"]?["detail"] as? String)?.hasPrefix("PostgreSQL ") == true)
        #expect((checks["database"]?["detail"] as? String)?.contains("sslmode ") == true)
        #expect((checks["jwt_secret"]?["detail"] as? String) == "40 bytes; the relay accepts tokens signed with it")
        #expect((checks["slack"]?["detail"] as? String)?.hasSuffix("Slack accepted the test message") == true)
        #expect(slack.requests.count == 1)
        #expect((checks["vapid"]?["detail"] as? String)?.contains(keys.privateKeyBase64URL) == false)

        // For people: a line per check, and a last line that says so.
        let (text, _) = try await doctor(relay, [], settings)
        #expect(text.status == 0)
        #expect(text.stdout.split(separator: "\n").count == 9)
        #expect(text.stdout.hasPrefix("ok    database    PostgreSQL "))
        #expect(text.stdout.hasSuffix("all 8 checks passed\n"))
        try await relay.stop()
    }

    /// A database whose clock is two minutes ahead of this host's (a private cluster under libfaketime): the clock check
    /// fails, says by how much and in which direction, and names the fix; the other checks still run.
    @Test func aClockApartFromTheDatabasesIsFound() async throws {
        let cluster = try PrivateCluster.start(clockOffset: "+120")
        defer { try? cluster.stop() }
        let migrate = try await ProcessRunner.ours("msgctl", ["db", "migrate"], environment: ["DATABASE_URL": cluster.conninfo])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        let result = try await ProcessRunner.runDetached(
            msgctl, ["doctor", "--json"],
            environment: ["DATABASE_URL": cluster.conninfo, "JWT_SECRET": Self.longSecret, "MSGRELAY_URL": nil, "SLACK_WEBHOOK_URL": nil])
        let object = try #require((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any], "\(result)")
        let checks = (object["checks"] as? [[String: Any]] ?? []).reduce(into: [String: [String: Any]]()) { $0[$1["name"] as? String ?? ""] = $1 }
        #expect(result.status != 0)
        #expect(checks["clock"]?["status"] as? String == "fail", "\(checks["clock"] ?? [:])")
        #expect((checks["clock"]?["detail"] as? String)?.contains(/this host is 1[12]\d\.\d{3} s behind the database/) == true)
        #expect((checks["clock"]?["fix"] as? String)?.contains("synchronise both clocks") == true)
        #expect(checks["migrations"]?["status"] as? String == "ok")
    }

    @Test func eachFaultIsFoundWithItsFixAndStatus() async throws {
        let (relay, db, f) = try await Self.installation(secret: TestRelay.secret)

        // A short secret (the relay's own): a warning, not a failure.
        let (short, shortChecks) = try await doctor(relay, ["--json"], ["JWT_SECRET": TestRelay.secret])
        #expect(short.status == 0, "\(short.stdout)")
        #expect(shortChecks["jwt_secret"]?["status"] as? String == "warn")
        #expect((shortChecks["jwt_secret"]?["detail"] as? String)?.hasPrefix("17 bytes; the relay accepts tokens signed with it; 32 or more") == true)
        #expect((shortChecks["jwt_secret"]?["fix"] as? String)?.contains("openssl rand") == true)
        #expect(shortChecks[""]?["status"] as? String == "warn")

        // A secret that is not the relay's.
        let (wrong, wrongChecks) = try await doctor(relay)
        #expect(wrong.status == 78)
        #expect((wrongChecks["jwt_secret"]?["detail"] as? String)?.contains("the relay refuses a token signed with it") == true)

        // The relay down (nothing listens there).
        let closed = try RecordingHTTPServer()
        let closedPort = closed.url("").split(separator: ":").last.map(String.init) ?? "1"
        closed.stop()
        let (down, downChecks) = try await doctor(
            relay, ["--json"], ["JWT_SECRET": TestRelay.secret, "MSGRELAY_URL": "http://127.0.0.1:\(closedPort)"])
        #expect(down.status == 69)
        #expect(downChecks["relay"]?["status"] as? String == "fail")
        #expect((downChecks["relay"]?["fix"] as? String)?.contains("MSGRELAY_URL") == true)
        #expect(downChecks["database"]?["status"] as? String == "ok")
        // A user name and password in the relay's URL are not printed.
        let (_, withCredentials) = try await doctor(
            relay, ["--json"], ["JWT_SECRET": TestRelay.secret, "MSGRELAY_URL": "http://ops:S3cret@127.0.0.1:\(closedPort)"])
        let detail = try #require(withCredentials["relay"]?["detail"] as? String)
        #expect(detail.hasPrefix("http://127.0.0.1:\(closedPort)/readyz") && !detail.contains("S3cret") && !detail.contains("ops"), "\(detail)")

        // Mismatched VAPID keys.
        let keys = VAPIDKeys.generate()
        let other = VAPIDKeys.generate()
        let (vapid, vapidChecks) = try await doctor(
            relay, ["--json"],
            [
                "JWT_SECRET": TestRelay.secret, "VAPID_PUBLIC_KEY": other.publicKeyBase64URL, "VAPID_PRIVATE_KEY": keys.privateKeyBase64URL,
                "VAPID_SUBJECT": "mailto:ops@example.org",
            ])
        #expect(vapid.status == 78)
        #expect((vapidChecks["vapid"]?["detail"] as? String)?.hasPrefix("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY") == true)
        #expect((vapidChecks["vapid"]?["fix"] as? String)?.contains("msgctl vapid generate") == true)

        // A notification given up: its kind, error and age.
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let message = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "hello")
        try db.query(
            """
            INSERT INTO notification_outbox (kind, message_id, attempts, last_error, failed_at)
            VALUES ('slack', $1, 4, 'Slack answered 404 no_service', now() - interval '2 hours')
            """, [message.id])
        let (outbox, outboxChecks) = try await doctor(relay, ["--json"], ["JWT_SECRET": TestRelay.secret])
        #expect(outbox.status == 75)
        #expect(
            (outboxChecks["outbox"]?["detail"] as? String)?.hasSuffix("1 given up; oldest failure: slack, 2h00m ago: Slack answered 404 no_service")
                == true, "\(outboxChecks["outbox"] ?? [:])")
        try db.execute("DELETE FROM notification_outbox")

        // A migration not applied.
        let latest = try db.scalar("SELECT max(version) FROM schema_migrations", as: Int.self)
        try db.query("DELETE FROM schema_migrations WHERE version = $1", [latest])
        let (pending, pendingChecks) = try await doctor(relay, ["--json"], ["JWT_SECRET": TestRelay.secret])
        #expect(pending.status == 78)
        #expect((pendingChecks["migrations"]?["detail"] as? String)?.contains("1 pending: \(latest) ") == true)
        #expect((pendingChecks["migrations"]?["fix"] as? String)?.contains("msgctl db migrate") == true)

        // For people: each failure with its fix under it.
        let (text, _) = try await doctor(relay, [], ["JWT_SECRET": TestRelay.secret])
        #expect(text.status == 78)
        #expect(text.stdout.contains(/\nfail  migrations  \d+ applied, 1 pending: \d+ [^\n]+\n {18}fix: run msgctl db migrate/), "\(text.stdout)")
        #expect(text.stdout.hasSuffix("1 failed, 1 warning (of 8 checks)\n"))
        try await relay.stop()

        // No database: the checks that need it are skipped, and the status says unreachable.
        let (noDatabase, noDatabaseChecks) = try await doctor(
            relay, ["--json"], ["DATABASE_URL": "host=127.0.0.1 port=\(closedPort) user=nobody dbname=none connect_timeout=5"])
        #expect(noDatabase.status == 69)
        #expect(noDatabaseChecks["database"]?["status"] as? String == "fail")
        #expect((noDatabaseChecks["database"]?["detail"] as? String)?.hasPrefix("cannot connect: ") == true)
        for name in ["migrations", "outbox", "clock", "slack"] {
            #expect(noDatabaseChecks[name]?["status"] as? String == "skip", "\(name)")
        }
        #expect(noDatabaseChecks["relay"]?["status"] as? String == "fail")
    }
}
