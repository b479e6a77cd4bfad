import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// The Slack app's OAuth install end to end: a real relay and PostgreSQL, the fake Slack answering
/// `oauth.v2.access`, msgctl as a process. The install link carries what Slack needs; a good callback stores the
/// installation with its token encrypted, and the next notification uses it; every bad state and every hostile
/// answer is refused and stores nothing.
@Suite(.needsProcesses, .processSlot) struct SlackOAuthTests {
    static let clientId = "1234.5678"
    static let clientSecret = "client-secret-value"
    static let redirect = "https://admin.example.org/api/slack/oauth/callback"

    static func environment(_ slack: FakeSlack, key: [UInt8]) -> [String: String?] {
        [
            "SLACK_CLIENT_ID": clientId, "SLACK_CLIENT_SECRET": clientSecret, "SLACK_SIGNING_SECRET": "test-signing-secret",
            "SLACK_TOKEN_KEY": Base64URL.standard(key), "SLACK_OAUTH_BASE": "https://slack.example/oauth/v2/authorize",
            "SLACK_API_BASE": slack.apiBase, "ADMIN_URL_BASE": "https://admin.example.org", "OUTBOX_RETRY_BASE_SECONDS": "0.2",
            "SLACK_OAUTH_TIMEOUT_SECONDS": "1",
        ]
    }

    /// A GET that does not follow redirects (URLSession would), with raw headers.
    static func get(_ relay: TestRelay, _ target: String, headers: [String: String] = [:]) async throws -> RawHTTPConnection.Response {
        var text = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        let request = Array((text + "\r\n").utf8)
        let port = relay.port
        let response = try await onOwnThread { try RawHTTPConnection.exchange(port: port, request) }
        return try #require(response, "no response to GET \(target.prefix(80))")
    }

    struct Started {
        var location: URLComponents
        var state: String
        /// `msgrelay_slack_oauth=<nonce>`, as the browser sends it back.
        var cookie: String
        var setCookie: String
        func query(_ name: String) -> String? { location.queryItems?.first { $0.name == name }?.value }
    }

    static func start(_ relay: TestRelay, _ admin: User) async throws -> Started {
        let response = try await get(relay, "/api/slack/install?token=\(relay.token(admin))")
        #expect(response.status == 302, "\(response.text)")
        let location = try #require(URLComponents(string: response.headers["location"] ?? ""))
        let setCookie = response.headers["set-cookie"] ?? ""
        let state = try #require(location.queryItems?.first { $0.name == "state" }?.value)
        return Started(location: location, state: state, cookie: String(setCookie.prefix { $0 != ";" }), setCookie: setCookie)
    }

    static func callback(_ relay: TestRelay, state: String, cookie: String?, query: String = "code=fake-code-123")
        async throws -> RawHTTPConnection.Response
    {
        try await get(relay, "/api/slack/oauth/callback?\(query)&state=\(state)", headers: cookie.map { ["Cookie": $0] } ?? [:])
    }

    static func installations(_ db: PostgresConnection) throws -> Int { try db.scalar("SELECT count(*) FROM slack_installations", as: Int.self) }

    /// A database with the fixtures' users, the fake Slack and a relay configured for the install.
    struct Scenario {
        let database: TestDatabase
        let db: PostgresConnection
        let f: Fixtures
        let slack: FakeSlack
        let key: [UInt8]
        let environment: [String: String?]
        let relay: TestRelay

        init() async throws {
            database = try await TestDatabase.create()
            db = try database.connect()
            f = try Fixtures.make(db)
            slack = try FakeSlack()
            key = LibCrypto.randomBytes(32)
            environment = SlackOAuthTests.environment(slack, key: key)
            relay = try await TestRelay(database: database, environment: environment)
        }

        func stop() async throws {
            slack.stop()
            try await relay.stop()
        }
    }

    @Test func installStoresAnEncryptedTokenThatTheNextNotificationUses() async throws {
        let scenario = try await Scenario()
        let (database, db, f, slack, key, relay) = (scenario.database, scenario.db, scenario.f, scenario.slack, scenario.key, scenario.relay)
        #expect(try db.scalar("SELECT app_mode FROM slack_settings", as: Bool.self) == false)

        // Only an admin starts an install.
        let anonymous = try await Self.get(relay, "/api/slack/install")
        #expect(anonymous.status == 401 && anonymous.error != nil)
        #expect(try await Self.get(relay, "/api/slack/install?token=\(relay.token(f.alice))").status == 403)
        #expect(try await Self.get(relay, "/api/slack/install?token=not.a.jwt").status == 401)

        let started = try await Self.start(relay, f.admin)
        #expect(started.location.host == "slack.example" && started.location.path == "/oauth/v2/authorize")
        #expect(started.query("client_id") == Self.clientId)
        #expect(
            Set((started.query("scope") ?? "").split(separator: ",").map(String.init))
                == ["chat:write", "commands", "channels:history", "groups:history", "reactions:read", "reactions:write", "incoming-webhook"])
        #expect(started.query("redirect_uri") == Self.redirect)
        #expect(started.cookie.hasPrefix("msgrelay_slack_oauth=") && started.cookie.count > 30)
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/api/slack/oauth"] { #expect(started.setCookie.contains(attribute)) }

        let page = try await Self.callback(relay, state: started.state, cookie: started.cookie)
        #expect(page.status == 200, "\(page.text)")
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.text.contains("Fake Team") && page.text.contains("#inbox") && !page.text.contains("xoxb"))
        #expect(page.headers["set-cookie"]?.contains("Max-Age=0") == true)

        let exchange = try #require(slack.calls("oauth.v2.access").first)
        #expect(exchange.request.method == "POST")
        #expect(exchange.header("Authorization") == "Basic " + Base64URL.standard(Array("\(Self.clientId):\(Self.clientSecret)".utf8)))
        #expect(exchange.header("Content-Type") == "application/x-www-form-urlencoded")
        #expect(exchange.form == ["code": "fake-code-123", "redirect_uri": Self.redirect])

        // Stored with the token encrypted: not in the row in clear, and it opens with the key.
        let row = try db.scalar("SELECT row_to_json(s)::text FROM slack_installations s", as: String.self)
        let token = FakeSlack.installedToken
        #expect(
            !row.contains("xoxb") && !row.contains(Array(token.utf8).map { String(format: "%02x", $0) }.joined())
                && !row.contains(Base64URL.standard(Array(token.utf8))))
        let stored = try #require(try SlackInstallationRepository.current(db))
        #expect(stored.teamId == FakeSlack.teamId && stored.channelId == "C0FAKEINBOX" && stored.botUserId == FakeSlack.botUserId)
        #expect(stored.installedBy == f.admin.id && stored.installedBySlackUser == "U0INSTALLER")
        #expect(stored.botTokenSealed.count == token.utf8.count + 28)
        #expect(try stored.botToken(SecretSealer(key: key)) == token)
        #expect(try db.scalar("SELECT app_mode FROM slack_settings", as: Bool.self))
        #expect(try db.scalar("SELECT channel_id FROM slack_settings", as: String.self) == "C0FAKEINBOX")

        // The state is spent.
        let replay = try await Self.callback(relay, state: started.state, cookie: started.cookie)
        #expect(replay.status == 400 && replay.text.contains("already used"))
        #expect(slack.calls("oauth.v2.access").count == 1)

        // The next notification goes out as the installed bot, to the chosen channel.
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Hello"]).status == 201)
        let post = try await slack.waitForCalls("chat.postMessage", count: 1)[0]
        #expect(post.header("Authorization") == "Bearer \(token)")
        #expect(post.string("channel") == "C0FAKEINBOX")
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Again"]).status == 201)
        let reply = try await slack.waitForCalls("chat.postMessage", count: 2)[1]
        #expect(reply.string("thread_ts") == post.answerTs && reply.header("Authorization") == "Bearer \(token)")

        // Requests from Slack are verified with the install's signing secret, and a linked Slack user's reply in the
        // installed channel's thread becomes the admin's message.
        let link = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["slack", "link", "--admin", "admin", "--slack-user", "U0DESK001"],
            environment: ["DATABASE_URL": database.conninfo])
        #expect(link.status == 0, "\(link.stderr)")
        var event = SlackRequests.threadMessage(user: "U0DESK001", text: "On its way", threadTs: try #require(post.answerTs))
        event["channel"] = "C0FAKEINBOX"
        // From another workspace than the installation's: ignored.
        let foreign = SlackRequests.eventCallback(id: "Ev0FOREIGN1", event: event)
        #expect(
            try await relay.request(
                "POST", "/api/slack/events", body: foreign, headers: SlackRequests.headers(foreign, contentType: "application/json")
            ).status == 200)
        #expect(try db.scalar("SELECT count(*) FROM slack_inbox WHERE event_id = 'Ev0FOREIGN1'", as: Int.self) == 0)
        let body = SlackRequests.eventCallback(id: "Ev0INSTALLED1", event: event, team: FakeSlack.teamId)
        let accepted = try await relay.request(
            "POST", "/api/slack/events", body: body, headers: SlackRequests.headers(body, contentType: "application/json"))
        #expect(accepted.status == 200)
        try await waitFor("the thread reply to become the admin's message") {
            try db.scalar("SELECT count(*) FROM messages WHERE sender_id = $1 AND content = 'On its way'", [f.admin.id], as: Int.self) == 1
        }

        // Installing again (another workspace and channel) is used by the very next job: a new thread there.
        // (The fake's scripted answer goes to the next call of any method: no parent update may be pending.)
        try await db.waitForEmptyOutbox()
        let again = try await Self.start(relay, f.admin)
        slack.fail(
            .raw(
                status: 200,
                text: #"{"ok":true,"access_token":"xoxb-second-token","token_type":"bot","scope":"chat:write","bot_user_id":"U0BOT2","#
                    + #""team":{"id":"T0OTHER","name":"Other"},"incoming_webhook":{"channel":"other","channel_id":"C0OTHER"}}"#))
        #expect(try await Self.callback(relay, state: again.state, cookie: again.cookie).status == 200)
        #expect(try Self.installations(db) == 1)
        #expect(try db.scalar("SELECT count(*) FROM slack_threads", as: Int.self) == 0)
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Moved"]).status == 201)
        let moved = try await slack.waitForCalls("chat.postMessage", count: 3)[2]
        #expect(moved.header("Authorization") == "Bearer xoxb-second-token")
        #expect(moved.string("channel") == "C0OTHER" && moved.string("thread_ts") == nil)

        // msgctl slack status: what is installed, never the token.
        var ctlEnvironment = scenario.environment
        ctlEnvironment["DATABASE_URL"] = database.conninfo
        let json = try await ProcessRunner.runDetached(TestEnvironment.binary("msgctl"), ["slack", "status", "--json"], environment: ctlEnvironment)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(!json.stdout.contains("xoxb") && !json.stdout.contains("fake-installed"))
        let status = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(status.string("mode") == "app_installation")
        #expect(status.string("installation.team_id") == "T0OTHER" && status.string("installation.channel_name") == "other")
        #expect(status.string("installation.installed_by") == "admin")
        #expect(status[path: "installation.token_decrypts"] as? Bool == true)
        #expect(status[path: "installation.token_present"] as? Bool == true)
        let human = try await ProcessRunner.runDetached(TestEnvironment.binary("msgctl"), ["slack", "status"], environment: ctlEnvironment)
        #expect(human.status == 0 && human.stdout.contains("mode: app (the OAuth installation)"))
        #expect(human.stdout.contains("SLACK_TOKEN_KEY decrypts it") && !human.stdout.contains("xoxb"))
        ctlEnvironment["SLACK_TOKEN_KEY"] = Base64URL.standard(LibCrypto.randomBytes(32))
        let otherKey = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["slack", "status", "--json"], environment: ctlEnvironment)
        let otherStatus = try #require(try JSONSerialization.jsonObject(with: Data(otherKey.stdout.utf8)) as? [String: Any])
        #expect(otherStatus[path: "installation.token_decrypts"] as? Bool == false && otherStatus.string("mode") == "off")
        // A webhook beside the OAuth install is not used, installation or not: the mode says so.
        ctlEnvironment["SLACK_WEBHOOK_URL"] = "https://hooks.slack.com/services/T0/B0/x"
        let withWebhook = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["slack", "status", "--json"], environment: ctlEnvironment)
        #expect(
            (try JSONSerialization.jsonObject(with: Data(withWebhook.stdout.utf8)) as? [String: Any])?.string("mode") == "off",
            "\(withWebhook.stdout)")
        ctlEnvironment["SLACK_WEBHOOK_URL"] = nil
        let bare = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["slack", "status", "--json"], environment: ["DATABASE_URL": database.conninfo])
        let bareStatus = try #require(try JSONSerialization.jsonObject(with: Data(bare.stdout.utf8)) as? [String: Any])
        let bareInstallation = try #require(bareStatus["installation"] as? [String: Any])
        #expect(bareStatus.string("mode") == "off" && bareStatus[path: "oauth_configured"] as? Bool == false)
        #expect(bareInstallation["token_decrypts"] is NSNull && bareInstallation["app_id"] is NSNull)
        ctlEnvironment["SLACK_TOKEN_KEY"] = Base64URL.standard(LibCrypto.randomBytes(16))
        let shortKey = try await ProcessRunner.runDetached(TestEnvironment.binary("msgctl"), ["slack", "status"], environment: ctlEnvironment)
        #expect(shortKey.status != 0 && shortKey.stderr.contains("SLACK_TOKEN_KEY must be 32 bytes"))
        try await scenario.stop()
    }

    /// A relay whose SLACK_TOKEN_KEY does not open the stored installation (another key, as during a rotation) leaves
    /// its Slack jobs to the relays that can, and does not turn app mode off: it used to give the jobs up for good
    /// ("Slack is not configured") and record app mode as off for every writer.
    @Test func aRelayThatCannotOpenTheInstallationLeavesItsJobsToOthers() async throws {
        let scenario = try await Scenario()
        let (database, db, f, slack) = (scenario.database, scenario.db, scenario.f, scenario.slack)
        let started = try await Self.start(scenario.relay, f.admin)
        #expect(try await Self.callback(scenario.relay, state: started.state, cookie: started.cookie).status == 200)
        try await scenario.relay.stop()

        let other = try await TestRelay(database: database, environment: Self.environment(slack, key: LibCrypto.randomBytes(32)))
        #expect(try await other.request("POST", "/api/messages", token: other.token(f.alice), json: ["content": "Hello"]).status == 201)
        try await waitFor("the other relay's outbox worker to look") {
            other.process.text.contains("does not open with this relay's SLACK_TOKEN_KEY")
        }
        try await Task.sleep(for: .seconds(1.5))
        #expect(try db.scalar("SELECT app_mode FROM slack_settings", as: Bool.self))
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox WHERE failed_at IS NULL AND attempts = 0", as: Int.self) == 1)
        #expect(slack.calls("chat.postMessage").isEmpty)

        // A relay with the installation's key sends it.
        let keyed = try await TestRelay(database: database, environment: scenario.environment)
        _ = try await slack.waitForCalls("chat.postMessage", count: 1)
        try await keyed.stop()
        try await other.stop()
        slack.stop()
    }

    /// With an installation, taking an event first reads its workspace from the database: that read is inside the
    /// 2 s the relay gives itself too, so a database that does not answer gets Slack a 503 (it sends the event again),
    /// not an answer after Slack gave up.
    @Test func theWorkspaceCheckIsWithinTheTimeToStoreAnEvent() async throws {
        let scenario = try await Scenario()
        let started = try await Self.start(scenario.relay, scenario.f.admin)
        #expect(try await Self.callback(scenario.relay, state: started.state, cookie: started.cookie).status == 200)
        let blocker = try scenario.database.connect()
        try blocker.execute("BEGIN; LOCK TABLE slack_installations IN ACCESS EXCLUSIVE MODE")
        let body = SlackRequests.eventCallback(
            id: "EvHeld", event: SlackRequests.threadMessage(user: "U0ADMIN", text: "held", threadTs: "1.1", ts: "1.2"), team: FakeSlack.teamId)
        let (answer, took) = try await SlackRequests.timedEvent(port: scenario.relay.port, body)
        try blocker.execute("ROLLBACK")
        #expect(answer?.status == 503, "\(answer?.text ?? "no answer")")
        #expect(took < .seconds(3), "answered after \(took)")
        try await scenario.stop()
    }

    @Test func msgrelayRefusesATokenKeyOfAnotherLength() async throws {
        for key in [LibCrypto.randomBytes(16), LibCrypto.randomBytes(31), LibCrypto.randomBytes(64)] {
            let result = try await ProcessRunner.runDetached(
                TestEnvironment.binary("msgrelay"), ["--port", "0"],
                environment: [
                    "JWT_SECRET": "x", "DATABASE_URL": "postgresql://127.0.0.1:1/none", "SLACK_TOKEN_KEY": Base64URL.standard(key),
                ], timeout: 30)
            #expect(result.status == 78, "\(result.stderr)")
            #expect(result.stderr.contains("SLACK_TOKEN_KEY must be 32 bytes in base64 (openssl rand -base64 32), not \(key.count) bytes"))
            #expect(!result.stderr.contains(Base64URL.standard(key)))
        }
    }

    @Test func badExpiredReplayedAndForeignStatesAreRefused() async throws {
        let scenario = try await Scenario()
        let (database, db, f, slack, key, relay) = (scenario.database, scenario.db, scenario.f, scenario.slack, scenario.key, scenario.relay)
        let stateKey = try SecretSealer(key: key).derivedKey(purpose: SlackInstaller.statePurpose)
        let now = Int64(Date().timeIntervalSince1970)

        func refused(_ state: String, cookie: String?, query: String = "code=c", _ reason: String, status: Int = 400) async throws {
            let page = try await Self.callback(relay, state: state, cookie: cookie, query: query)
            #expect(page.status == status, "\(reason): \(page.status) \(page.text)")
            #expect(page.text.contains(reason), "\(page.text)")
            #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        }
        let started = try await Self.start(relay, f.admin)
        // Missing, malformed, oversized, control characters, altered, signed with another key.
        try await refused("", cookie: started.cookie, "missing or malformed")
        try await refused("v1.x.y", cookie: started.cookie, "missing or malformed")
        try await refused(String(repeating: "A", count: 3000), cookie: started.cookie, "missing or malformed")
        try await refused(started.state + "%00%0d%0a", cookie: started.cookie, "missing or malformed")
        var altered = Array(started.state)
        altered[3] = altered[3] == "1" ? "2" : "1"
        try await refused(String(altered), cookie: started.cookie, "not signed by this server")
        let foreign = SlackOAuthState.fresh(adminId: f.admin.id, now: now, lifetime: 600)
        try await refused(
            foreign.signed(key: LibCrypto.randomBytes(32)), cookie: "msgrelay_slack_oauth=\(foreign.nonceText)", "not signed by this server")
        // Expired, though signed with the right key.
        let expired = SlackOAuthState(nonce: LibCrypto.randomBytes(16), adminId: f.admin.id, expiresAt: now - 5)
        try await refused(expired.signed(key: stateKey), cookie: "msgrelay_slack_oauth=\(expired.nonceText)", "expired")
        // Another browser: no cookie, or another install's cookie.
        try await refused(started.state, cookie: nil, "another browser")
        let second = try await Self.start(relay, f.admin)
        try await refused(started.state, cookie: second.cookie, "another browser")
        // A state for a user who is not an admin (signed, as if they had been demoted since).
        let demoted = SlackOAuthState.fresh(adminId: f.alice.id, now: now, lifetime: 600)
        try await refused(demoted.signed(key: stateKey), cookie: "msgrelay_slack_oauth=\(demoted.nonceText)", "no longer an admin", status: 403)
        // Cancelled on Slack's page: the state is spent too.
        try await refused(started.state, cookie: started.cookie, query: "error=access_denied", "cancelled")
        try await refused(started.state, cookie: started.cookie, "already used")
        // A missing or hostile code.
        try await refused(second.state, cookie: second.cookie, query: "x=1", "no valid authorisation code")

        #expect(slack.calls("oauth.v2.access").isEmpty)
        #expect(try Self.installations(db) == 0)
        #expect(try db.scalar("SELECT app_mode FROM slack_settings", as: Bool.self) == false)
        try await scenario.stop()
    }

    @Test func hostileAnswersFromSlackStoreNothing() async throws {
        let scenario = try await Scenario()
        let (database, db, f, slack, key, relay) = (scenario.database, scenario.db, scenario.f, scenario.slack, scenario.key, scenario.relay)

        func answer(team: String = #"{"id":"T0NEW","name":"New Team"}"#, token: String = "xoxb-new-token", extra: String = "") -> String {
            #"{"ok":true,"access_token":"\#(token)","token_type":"bot","scope":"chat:write,commands","bot_user_id":"U0NEWBOT","team":\#(team),"#
                + #""incoming_webhook":{"channel":"new-channel","channel_id":"C0NEW"}\#(extra)}"#
        }
        let hostile: [(FakeSlack.Failure, String)] = [
            (.error("invalid_code"), "invalid_code"),
            (.notJSON, "not a JSON object"),
            (.hugeBody(megabytes: 1), "too large"),
            (.serverError(status: 503), "not a JSON object"),
            (.slow(delay: .seconds(3)), "did not answer in time"),
            (.raw(status: 200, text: #"{"ok":true}"#), "no bot token"),
            (.raw(status: 200, text: answer(token: "xoxp-user-token")), "no bot token"),
            (.raw(status: 200, text: answer(token: "xoxb-a b")), "no bot token"),
            (.raw(status: 200, text: answer(team: #"{"name":"No id"}"#)), "team.id"),
            (.raw(status: 200, text: answer(team: #"{"id":"T1\n<b>","name":"x"}"#)), "team.id"),
            (.raw(status: 200, text: answer(team: #"{"id":"T1","name":"bad\u0007name"}"#)), "team.name"),
            (.raw(status: 200, text: answer().replacingOccurrences(of: #""channel_id":"C0NEW""#, with: #""channel_id":7"#)), "channel_id"),
            (
                .raw(
                    status: 200,
                    text: answer().replacingOccurrences(of: #""incoming_webhook":{"channel":"new-channel","channel_id":"C0NEW"}"#, with: #""x":1"#)),
                "which channel"
            ),
            (.raw(status: 500, text: answer()), "HTTP 500"),
        ]
        for (failure, reason) in hostile {
            let started = try await Self.start(relay, f.admin)
            slack.fail(failure)
            let page = try await Self.callback(relay, state: started.state, cookie: started.cookie)
            #expect(page.status == 502, "\(failure): \(page.status) \(page.text.prefix(300))")
            #expect(page.text.contains(reason), "\(failure): \(page.text.prefix(300))")
            #expect(!page.text.contains("user-token") && !page.text.contains("new-token") && !page.text.contains("xoxb-a"))
            #expect(try Self.installations(db) == 0, "\(failure)")
        }
        #expect(try db.scalar("SELECT app_mode FROM slack_settings", as: Bool.self) == false)

        // Names from Slack are escaped on the page; a second install replaces the first.
        for (index, name) in ["Plain Team", "<script>alert(1)</script> & \"Co\""].enumerated() {
            let started = try await Self.start(relay, f.admin)
            slack.fail(
                .raw(status: 200, text: answer(team: #"{"id":"T0NEW\#(index)","name":"\#(name.replacingOccurrences(of: "\"", with: "\\\""))"}"#)))
            let page = try await Self.callback(relay, state: started.state, cookie: started.cookie)
            #expect(page.status == 200, "\(page.text)")
            #expect(try Self.installations(db) == 1)
            #expect(try db.scalar("SELECT team_id FROM slack_installations", as: String.self) == "T0NEW\(index)")
        }
        let page = try await Self.get(relay, "/api/slack/oauth/callback")
        #expect(page.status == 400)
        let last = try await Self.start(relay, f.admin)
        slack.fail(.raw(status: 200, text: answer(team: #"{"id":"T0X","name":"<script>alert(1)</script> & \"Co\""}"#)))
        let escaped = try await Self.callback(relay, state: last.state, cookie: last.cookie)
        #expect(escaped.status == 200)
        #expect(escaped.text.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;") && !escaped.text.contains("<script>"))
        #expect(escaped.headers["content-security-policy"]?.contains("default-src 'none'") == true)
        try await scenario.stop()
    }
}
