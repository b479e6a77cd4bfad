import Foundation
import FoundationNetworking
import MsgLib
import TestSupport
import Testing

/// msgctl and msgrelay run as real processes.
@Suite(.needsProcesses, .processSlot) struct BinaryTests {
    @Test func bothDescribeThemselves() async throws {
        let ctl = try await ProcessRunner.ours("msgctl", ["--help"])
        #expect(ctl.status == 0)
        #expect(ctl.stdout.contains("db") && ctl.stdout.contains("user") && ctl.stdout.contains("token"))
        let relay = try await ProcessRunner.ours("msgrelay", ["--help"])
        #expect(relay.status == 0)
        #expect(relay.stdout.contains("--port") && relay.stdout.contains("JWT_SECRET"))
        let usage = try await ProcessRunner.ours("msgrelay", ["--port", "many"])
        #expect(usage.status == ExitStatus.usage.rawValue)
        #expect(usage.stderr.contains("--port"))
    }

    /// A command group named without one of its commands is a bad command line (a cron line whose command came out
    /// empty must not pass for done); asking for help is not.
    @Test func aGroupWithoutItsCommandIsAUsageError() async throws {
        for arguments in [[], ["user"], ["db"], ["help", "nosuch"]] {
            let result = try await ProcessRunner.ours("msgctl", arguments)
            #expect(result.status == ExitStatus.usage.rawValue, "\(arguments)")
            #expect(result.stdout.isEmpty && !result.stderr.isEmpty, "\(arguments): \(result.stdout)")
        }
        for arguments in [["--help"], ["help"], ["help", "user"], ["user", "--help"], ["help", "user", "add"]] {
            let result = try await ProcessRunner.ours("msgctl", arguments)
            #expect(result.status == 0 && result.stdout.contains("USAGE"), "\(arguments): \(result.stderr)")
        }
    }

    @Test func unreachableDatabaseIsOneLineAndNonZero() async throws {
        let url = "host=127.0.0.1 port=1 dbname=none connect_timeout=2"
        let ctl = try await ProcessRunner.ours("msgctl", ["user", "list"], environment: ["DATABASE_URL": url])
        #expect(ctl.status == ExitStatus.unavailable.rawValue)
        #expect(ctl.stderr.hasPrefix("msgctl: database unavailable:"))
        #expect(ctl.stderr.split(separator: "\n").count == 1)
        let relay = try await ProcessRunner.ours("msgrelay", ["--port", "0"], environment: ["DATABASE_URL": url, "JWT_SECRET": "x"])
        #expect(relay.status == ExitStatus.unavailable.rawValue)
        #expect(relay.stderr.hasPrefix("msgrelay: database unavailable:"))
        #expect(relay.stderr.split(separator: "\n").count == 1)
    }

    /// A database server that takes the connection and then says nothing (a partition, a host gone) fails msgctl after
    /// its 10 s connect timeout, not after minutes.
    @Test func aSilentDatabaseFailsMsgctlWithinItsConnectTimeout() async throws {
        let database = try await TestDatabase.create()
        let proxy = try BlackholeProxy(conninfo: database.conninfo)
        defer { proxy.stop() }
        proxy.blackhole()
        let started = ContinuousClock.now
        let ctl = try await ProcessRunner.ours(
            "msgctl", ["user", "list"], environment: ["DATABASE_URL": proxy.conninfo(through: database.conninfo)], timeout: 60)
        #expect(ctl.status == ExitStatus.unavailable.rawValue, "\(ctl.stderr)")
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// A connection string libpq cannot parse: its message would quote the text at the fault, often the password.
    /// Neither that text nor a malformed webhook URL (a secret too) reaches the terminal.
    @Test func secretsInBadSettingsAreNotPrinted() async throws {
        for url in ["postgresql://app:Tr0ub%dor&3@127.0.0.1/x", "host=127.0.0.1 password=open sesame"] {
            let ctl = try await ProcessRunner.ours("msgctl", ["user", "list"], environment: ["DATABASE_URL": url])
            #expect(ctl.status == ExitStatus.config.rawValue)
            #expect(ctl.stderr.contains("cannot be read: check its syntax"), "\(ctl.stderr)")
            #expect(!ctl.stderr.contains("Tr0ub") && !ctl.stderr.contains("sesame"), "\(ctl.stderr)")
        }
        // Passwords libpq reads, but not as meant: '@', '/' or '?' unencoded make part of them the host, the port or a
        // query parameter, which libpq's error would quote.
        for (url, advice) in [
            ("postgresql://app:Tr0ub@dor@127.0.0.1:1/x", "%40"), ("postgres://app:Tr0ub/dor@127.0.0.1:1/x", "%2F"),
            ("postgresql://app:Tr0ub?dor@127.0.0.1:1/x", "%3F"),
        ] {
            let ctl = try await ProcessRunner.ours("msgctl", ["user", "list"], environment: ["DATABASE_URL": url])
            #expect(ctl.status == ExitStatus.config.rawValue)
            #expect(ctl.stderr.contains(advice) && !ctl.stderr.contains("dor"), "\(ctl.stderr)")
        }
        // A user name with an encoded '@' (as some managed services name users) and '@' in a query value are fine.
        for url in [
            "postgresql://app%40srv:pw@127.0.0.1:1/x?connect_timeout=1", "postgresql://127.0.0.1:1/x?user=app@srv&connect_timeout=1",
            "postgresql://app@127.0.0.1:1/db@x?connect_timeout=1",
        ] {
            let ctl = try await ProcessRunner.ours("msgctl", ["user", "list"], environment: ["DATABASE_URL": url])
            #expect(ctl.status == ExitStatus.unavailable.rawValue && !ctl.stderr.contains("cannot be read"), "\(ctl.stderr)")
        }
        let hook = "ftp://hooks.slack.com/services/T0/B0/s3cr3tt0k3n"
        let test = try await ProcessRunner.ours(
            "msgctl", ["slack", "test"], environment: ["DATABASE_URL": "host=127.0.0.1 port=1 connect_timeout=1", "SLACK_WEBHOOK_URL": hook])
        #expect(test.status != 0 && test.stderr.contains("SLACK_WEBHOOK_URL") && !test.stderr.contains("s3cr3t"), "\(test.stderr)")
    }

    /// Output that does not reach its file (a full disk) is a failure (73), as the man page's
    /// `msgctl vapid generate >> msgrelay.env` needs (a reader that closed the pipe is not).
    @Test func outputThatCannotBeWrittenFails() async throws {
        let msgctl = TestEnvironment.binary("msgctl")
        let full = try await ProcessRunner.run("/bin/sh", ["-c", "'\(msgctl)' vapid generate > /dev/full"])
        #expect(full.status == ExitStatus.cantCreate.rawValue, "\(full.stderr)")
        #expect(full.stderr.hasPrefix("msgctl: cannot write standard output: No space left on device"), "\(full.stderr)")
    }

    @Test func relayRefusesToStartWithoutSecret() async throws {
        let database = try await TestDatabase.create()
        let relay = try await ProcessRunner.ours("msgrelay", ["--port", "0"], environment: ["DATABASE_URL": database.conninfo, "JWT_SECRET": nil])
        #expect(relay.status == ExitStatus.config.rawValue)
        #expect(relay.stderr.contains("JWT_SECRET is not set"))
    }

    /// A port out of range names where it came from, with the status of where it came from.
    @Test func relayNamesAPortOutOfRange() async throws {
        let database = try await TestDatabase.create()
        let environment: [String: String?] = ["DATABASE_URL": database.conninfo, "JWT_SECRET": "x"]
        var fromEnvironment = environment
        fromEnvironment["MSGRELAY_PORT"] = "70000"
        let variable = try await ProcessRunner.ours("msgrelay", [], environment: fromEnvironment)
        #expect(variable.status == ExitStatus.config.rawValue && variable.stderr.contains("MSGRELAY_PORT"), "\(variable.stderr)")
        let option = try await ProcessRunner.ours("msgrelay", ["--port", "70000"], environment: environment)
        #expect(option.status == ExitStatus.usage.rawValue && option.stderr.contains("--port"), "\(option.stderr)")
    }

    @Test func relayRefusesAnUnmigratedDatabase() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let relay = try await ProcessRunner.ours("msgrelay", ["--port", "0"], environment: ["DATABASE_URL": database.conninfo, "JWT_SECRET": "x"])
        #expect(relay.status == ExitStatus.config.rawValue)
        #expect(relay.stderr.contains("msgctl db migrate"))
    }

    @Test func relayServesHealthAndJSONErrors() async throws {
        let database = try await TestDatabase.create()
        let relay = try RunningProcess("msgrelay", ["--port", "0"], environment: ["DATABASE_URL": database.conninfo, "JWT_SECRET": "x"])
        let port = try await relay.waitForOutput(#"127\.0\.0\.1:(\d+)"#)
        let (health, healthResponse) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/healthz")!)
        #expect((healthResponse as? HTTPURLResponse)?.statusCode == 200)
        #expect(try JSONSerialization.jsonObject(with: health) as? [String: String] == ["status": "ok"])
        let (missing, missingResponse) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/no/such/route")!)
        #expect((missingResponse as? HTTPURLResponse)?.statusCode == 404)
        #expect((try JSONSerialization.jsonObject(with: missing) as? [String: String])?["error"] != nil)
        try await relay.stop()
        #expect(relay.exitStatus == 0)
    }

    @Test func userAddListAndToken() async throws {
        let database = try await TestDatabase.create()
        let env: [String: String?] = ["DATABASE_URL": database.conninfo, "JWT_SECRET": "secret-for-test"]
        let add = try await ProcessRunner.ours(
            "msgctl", ["user", "add", "--username", "carol", "--display-name", "Carol C", "--admin"], environment: env)
        #expect(add.status == 0)
        let id = try #require(UUID(uuidString: add.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let again = try await ProcessRunner.ours("msgctl", ["user", "add", "--username", "carol", "--display-name", "Carol C"], environment: env)
        #expect(again.status == ExitStatus.dataError.rawValue)
        #expect(again.stderr == "msgctl: a user with that username already exists\n")
        let idempotent = try await ProcessRunner.ours(
            "msgctl", ["user", "add", "--username", "carol", "--display-name", "Carol C", "--if-not-exists"], environment: env)
        #expect(idempotent.stdout == add.stdout)
        let list = try await ProcessRunner.ours("msgctl", ["user", "list", "--json"], environment: env)
        let users = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]
        #expect(users?.count == 1)
        #expect(users?.first?["is_admin"] as? Bool == true)
        #expect(users?.first?["display_name"] as? String == "Carol C")
        let token = try await ProcessRunner.ours("msgctl", ["token", "--user", "carol", "--ttl", "120"], environment: env)
        let claims = try JWTSigner(secret: "secret-for-test").verify(token.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(claims.sub == id.lowercasedString)
        let unknown = try await ProcessRunner.ours("msgctl", ["token", "--user", "nobody"], environment: env)
        #expect(unknown.status == ExitStatus.noUser.rawValue)
        for ttl in ["0", "9223372036854775807", "3162240001"] {
            let refused = try await ProcessRunner.ours("msgctl", ["token", "--user", "carol", "--ttl", ttl], environment: env)
            #expect(refused.status == ExitStatus.usage.rawValue && refused.stdout.isEmpty, "\(ttl)")
            #expect(refused.stderr.contains("--ttl must be between 1 and 3162240000 seconds"), "\(refused.stderr)")
        }
        let usage = try await ProcessRunner.ours("msgctl", ["user", "add", "--username", "x"], environment: env)
        #expect(usage.status == ExitStatus.usage.rawValue)
    }
}

extension BinaryTests {
    /// DATABASE_URL as a URI, and libpq's own PG* variables when it is unset.
    @Test func connectionSettingsFollowLibpq() async throws {
        let database = try await TestDatabase.create()
        // "host=127.0.0.1 port=N user=postgres dbname=postgres dbname=X" -> its parts.
        var parts: [String: String] = [:]
        for pair in database.conninfo.split(separator: " ") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            parts[kv[0]] = kv[1]
        }
        let uri = "postgresql://\(parts["user"]!)@\(parts["host"]!):\(parts["port"]!)/\(database.name)"
        let viaURI = try await ProcessRunner.ours("msgctl", ["db", "status"], environment: ["DATABASE_URL": uri])
        #expect(viaURI.status == 0, "\(viaURI.stderr)")
        #expect(viaURI.stdout.contains("\(Migration.all.count) applied, 0 pending"))
        let viaPG = try await ProcessRunner.ours(
            "msgctl", ["db", "status"],
            environment: [
                "DATABASE_URL": nil, "PGHOST": parts["host"], "PGPORT": parts["port"], "PGUSER": parts["user"], "PGDATABASE": database.name,
            ])
        #expect(viaPG.status == 0, "\(viaPG.stderr)")
        #expect(viaPG.stdout.contains("\(Migration.all.count) applied, 0 pending"))
        let wrongDatabase = try await ProcessRunner.ours(
            "msgctl", ["db", "status"], environment: ["DATABASE_URL": nil, "PGHOST": parts["host"], "PGPORT": parts["port"], "PGDATABASE": "nope"])
        // Refused for good (no such database, an option's value libpq calls invalid): configuration, not "try later".
        #expect(wrongDatabase.status == ExitStatus.config.rawValue, "\(wrongDatabase.stderr)")
        let badOption = try await ProcessRunner.ours(
            "msgctl", ["db", "status"], environment: ["DATABASE_URL": "host=\(parts["host"] ?? "") port=\(parts["port"] ?? "") sslmode=bogus"])
        #expect(badOption.status == ExitStatus.config.rawValue, "\(badOption.stderr)")
        // A database whose schema was never migrated: 78, saying what to run.
        let bare = try await TestDatabase.create(migrated: false)
        let unmigrated = try await ProcessRunner.ours("msgctl", ["list"], environment: ["DATABASE_URL": bare.conninfo])
        #expect(unmigrated.status == ExitStatus.config.rawValue, "\(unmigrated.stderr)")
        #expect(unmigrated.stderr.contains("msgctl db migrate") && unmigrated.stderr.split(separator: "\n").count == 1, "\(unmigrated.stderr)")
    }
}
