import Foundation
import Testing

@testable import MsgLib
@testable import MsgctlKit

/// What `msgctl doctor` makes of each observation, and how the report reads and ends.
@Suite struct DoctorJudgeTests {
    static func info(host: String? = "/run/postgresql", tls: String? = nil, writable: Bool = true) -> MessagingService.DatabaseInfo {
        .init(serverVersion: "15.8", sslMode: "prefer", tls: tls, host: host, writable: writable)
    }

    @Test func theDatabaseCheckNamesVersionTransportAndEncryption() {
        let local = DoctorJudge.database(Self.info(), error: nil)
        #expect(local.status == .ok)
        #expect(local.detail == "PostgreSQL 15.8 on the Unix socket in /run/postgresql, sslmode prefer, not encrypted")
        let remote = DoctorJudge.database(Self.info(host: "db.example.org"), error: nil)
        #expect(remote.status == .warn && remote.fix?.contains("sslmode=verify-full") == true)
        #expect(DoctorJudge.database(Self.info(host: "db.example.org", tls: "TLSv1.3"), error: nil).status == .ok)
        #expect(DoctorJudge.database(Self.info(host: "127.0.0.1"), error: nil).status == .ok)
        let standby = DoctorJudge.database(Self.info(writable: false), error: nil)
        #expect(standby.status == .fail && standby.failureStatus == .unavailable)
        let down = DoctorJudge.database(nil, error: "connection refused")
        #expect(down.status == .fail && down.failureStatus == .unavailable && down.detail == "cannot connect: connection refused")
    }

    @Test func pendingMigrationsFailWithTheCommandThatAppliesThem() {
        let applied = Migrator.Status(id: 24, name: "attachments", appliedAt: .now())
        let pending = Migrator.Status(id: 25, name: "message_client_keys", appliedAt: nil)
        #expect(DoctorJudge.migrations([applied]).status == .ok)
        let check = DoctorJudge.migrations([applied, pending])
        #expect(check.status == .fail && check.failureStatus == .config)
        #expect(check.detail == "1 applied, 1 pending: 25 message_client_keys")
        #expect(check.fix?.contains("msgctl db migrate") == true)
    }

    @Test func theRelayIsReadyOnlyWithA200() {
        #expect(DoctorJudge.relay("http://r", .answered(status: 200, error: nil)).status == .ok)
        let readOnly = DoctorJudge.relay("http://r", .answered(status: 503, error: "Database is read-only"))
        #expect(readOnly.status == .fail && readOnly.detail.contains("Database is read-only"))
        #expect(DoctorJudge.relay("http://r", .answered(status: 404, error: nil)).detail.contains("HTTP 404"))
        let down = DoctorJudge.relay("http://r", .unreachable("Couldn't connect to server"))
        #expect(down.status == .fail && down.failureStatus == .unavailable && down.fix?.contains("MSGRELAY_URL") == true)
    }

    @Test func theSecretMustBeSetAndTheRelaysAndShouldBeLong() {
        let unset = DoctorJudge.jwtSecret(nil, relayAccepts: nil)
        #expect(unset.status == .fail && unset.failureStatus == .config)
        #expect(DoctorJudge.jwtSecret("", relayAccepts: nil).status == .fail)
        let short = DoctorJudge.jwtSecret("relay-test-secret", relayAccepts: true)
        #expect(short.status == .warn)
        #expect(short.detail.hasPrefix("17 bytes; the relay accepts tokens signed with it; 32 or more"))
        let long = String(repeating: "k", count: 32)
        #expect(DoctorJudge.jwtSecret(long, relayAccepts: true) == .ok("jwt_secret", "32 bytes; the relay accepts tokens signed with it"))
        #expect(DoctorJudge.jwtSecret(long, relayAccepts: nil) == .ok("jwt_secret", "32 bytes"))
        let other = DoctorJudge.jwtSecret(long, relayAccepts: false)
        #expect(other.status == .fail && other.detail.contains("not the relay's secret"))
    }

    @Test func vapidKeysMustBeAMatchingPairWithASubject() {
        let keys = VAPIDKeys.generate()
        let other = VAPIDKeys.generate()
        func check(_ publicKey: String?, _ privateKey: String?, _ subject: String? = "mailto:ops@example.org") -> DoctorCheck {
            var environment: [String: String] = [:]
            environment["VAPID_PUBLIC_KEY"] = publicKey
            environment["VAPID_PRIVATE_KEY"] = privateKey
            environment["VAPID_SUBJECT"] = subject
            return DoctorJudge.vapid(environment)
        }
        #expect(check(nil, nil, nil) == .ok("vapid", "not configured: Web Push is off"))
        let good = check(keys.publicKeyBase64URL, keys.privateKeyBase64URL)
        #expect(good.status == .ok && good.detail.hasPrefix("the public key matches the private key"))
        #expect(!good.detail.contains(keys.privateKeyBase64URL))
        let mismatched = check(other.publicKeyBase64URL, keys.privateKeyBase64URL)
        #expect(mismatched.status == .fail && mismatched.failureStatus == .config)
        #expect(mismatched.detail.hasPrefix("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY"))
        #expect(check("not-a-key", keys.privateKeyBase64URL).detail.contains("VAPID_PUBLIC_KEY is not"))
        #expect(check(keys.publicKeyBase64URL, keys.privateKeyBase64URL, "ops@example.org").status == .fail)
        let partial = check(keys.publicKeyBase64URL, nil, nil)
        #expect(partial.status == .fail && partial.detail == "VAPID_PRIVATE_KEY and VAPID_SUBJECT unset: the three go together")
    }

    @Test func slackSettingsTheStoredTokenAndATestSend() {
        let webhook = SlackStatus(mode: .webhook, oauthConfigured: false, installation: nil)
        #expect(DoctorJudge.slack(configurationError: nil, status: webhook, sent: nil).status == .ok)
        #expect(DoctorJudge.slack(configurationError: nil, status: webhook, sent: .accepted).detail.hasSuffix("Slack accepted the test message"))
        let refused = DoctorJudge.slack(configurationError: nil, status: webhook, sent: .refused("HTTP 404"))
        #expect(refused.status == .fail && refused.failureStatus == .tempFail && refused.detail.contains("HTTP 404"))
        let bad = DoctorJudge.slack(configurationError: "SLACK_WEBHOOK_URL must be an https URL", status: nil, sent: nil)
        #expect(bad.status == .fail && bad.failureStatus == .config && bad.name == "slack")
        // A push or outbox setting read with them is not blamed on Slack.
        let push = DoctorJudge.slack(configurationError: "PUSH_TTL_SECONDS must be a number of seconds, not \"abc\"", status: nil, sent: nil)
        #expect(push.status == .fail && push.name == "notifications" && !(push.fix ?? "").contains("Slack"))
        #expect(DoctorJudge.slack(configurationError: nil, status: nil, sent: nil).status == .skip)
        let off = SlackStatus(mode: .off, oauthConfigured: false, installation: nil)
        #expect(DoctorJudge.slack(configurationError: nil, status: off, sent: nil).status == .ok)
    }

    @Test func anOutboxFailureFailsWithItsKindErrorAndAge() {
        #expect(DoctorJudge.outbox(OutboxHealth(waiting: 0, oldestDueSeconds: nil, failed: 0, oldestFailure: nil)).status == .ok)
        let failed = DoctorJudge.outbox(
            OutboxHealth(
                waiting: 2, oldestDueSeconds: 0.2, failed: 3,
                oldestFailure: .init(kind: "push", error: "the push service answered 403", secondsAgo: 7_500)))
        #expect(failed.status == .fail && failed.failureStatus == .tempFail)
        #expect(failed.detail == "2 waiting, 3 given up; oldest failure: push, 2h05m ago: the push service answered 403")
        #expect(failed.fix?.contains("msgctl push test") == true)
        let stuck = DoctorJudge.outbox(OutboxHealth(waiting: 5, oldestDueSeconds: 600, failed: 0, oldestFailure: nil))
        #expect(stuck.status == .warn && stuck.detail == "5 waiting (the oldest due 10m00s ago), 0 given up")
    }

    @Test func clockSkewWarnsOverASecondAndFailsOverThirty() {
        let before = Timestamp(microsecondsSinceEpoch: 1_000_000_000_000)
        let after = before.adding(seconds: 0.01)
        func skew(_ seconds: Double) -> DoctorCheck {
            DoctorJudge.clock(before: before, database: before.adding(seconds: 0.005 + seconds), after: after)
        }
        #expect(skew(0).status == .ok)
        #expect(skew(0.9).status == .ok)
        #expect(skew(1.5).status == .warn)
        #expect(skew(1.5).detail == "this host is 1.500 s behind the database (±0.005 s)")
        #expect(skew(-20).status == .warn && skew(-20).detail.contains("ahead of the database"))
        let far = skew(-45)
        #expect(far.status == .fail && far.failureStatus == .failure && far.fix?.contains("chrony") == true)
        // Only what the round trip cannot explain counts: 1.2 s apart over a 1 s round trip is not a second of skew.
        #expect(DoctorJudge.clock(before: before, database: before.adding(seconds: 1.7), after: before.adding(seconds: 1)).status == .ok)
    }

    @Test func theReportExitsWithTheFirstFailureAndPrintsSafely() throws {
        let report = DoctorReport(checks: [
            .ok("database", "fine"),
            .warn("jwt_secret", "short", fix: "longer"),
            .fail("relay", "down \u{1B}[2J", fix: "start it", status: .unavailable),
            .fail("vapid", "bad", fix: "generate", status: .config),
            .skip("clock", because: "no database"),
        ])
        #expect(report.status == .fail)
        #expect(report.exitStatus == .unavailable)
        #expect(DoctorReport(checks: [.ok("a", "b"), .warn("c", "d", fix: "e")]).exitStatus == .success)
        let text = report.text()
        #expect(!text.contains("\u{1B}"))
        #expect(text.contains("fail  relay       down \\u{1B}[2J\n                  fix: start it\n"))
        #expect(text.hasSuffix("2 failed, 1 warning (of 5 checks)\n"))
        #expect(text.contains("skip  clock       not checked: no database\n"))

        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let object = try #require(try JSONSerialization.jsonObject(with: encoder.encode(report)) as? [String: Any])
        #expect(object["status"] as? String == "fail")
        let checks = try #require(object["checks"] as? [[String: Any]])
        #expect(checks.map { $0["name"] as? String } == ["database", "jwt_secret", "relay", "vapid", "clock"])
        #expect(checks.allSatisfy { Set($0.keys) == ["name", "status", "detail", "fix"] })
        #expect(checks[0]["fix"] is NSNull)
        #expect(checks[2]["detail"] as? String == "down \u{1B}[2J")
    }
}
