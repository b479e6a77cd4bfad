import Foundation
import Testing

@testable import MsgLib

/// The pieces of the Slack OAuth install that need no I/O: the signed state, the check of Slack's answer, the
/// authorize link and the configuration.
@Suite struct SlackOAuthUnitTests {
    let key = LibCrypto.randomBytes(32)
    let admin = UUID()

    // MARK: State

    @Test func stateRoundTripsUntilItExpires() throws {
        let state = SlackOAuthState.fresh(adminId: admin, now: 1_000, lifetime: 600)
        let text = state.signed(key: key)
        #expect(text.utf8.count <= SlackOAuthState.maximumLength)
        #expect(try SlackOAuthState.verify(text, key: key, now: 1_000) == state)
        #expect(try SlackOAuthState.verify(text, key: key, now: 1_599) == state)
        #expect(throws: SlackOAuthState.Refusal.expired) { try SlackOAuthState.verify(text, key: key, now: 1_600) }
        #expect(SlackOAuthState.fresh(adminId: admin, now: 0, lifetime: 1).nonce != state.nonce)
    }

    @Test func everyAlteredCharacterBreaksTheSignature() throws {
        let text = SlackOAuthState.fresh(adminId: admin, now: 1_000, lifetime: 600).signed(key: key)
        for index in text.indices {
            var altered = text
            let replacement: Character = text[index] == "A" ? "B" : "A"
            altered.replaceSubrange(index...index, with: String(replacement))
            #expect(throws: SlackOAuthState.Refusal.self) { try SlackOAuthState.verify(altered, key: key, now: 1_000) }
        }
        #expect(throws: SlackOAuthState.Refusal.badSignature) { try SlackOAuthState.verify(text, key: LibCrypto.randomBytes(32), now: 1_000) }
    }

    @Test func aLaterExpiryCannotBeForged() throws {
        let text = SlackOAuthState(nonce: LibCrypto.randomBytes(16), adminId: admin, expiresAt: 1_000).signed(key: key)
        let forged = text.replacingOccurrences(of: "v1.1000.", with: "v1.9999999999.")
        #expect(throws: SlackOAuthState.Refusal.badSignature) { try SlackOAuthState.verify(forged, key: key, now: 2_000) }
    }

    @Test(arguments: [nil, "", "a", "v1", "....", String(repeating: "a", count: 201), "v1.1.x.y.\u{0}", "v1.1 .x.y.z", "é.é"])
    func malformedStatesAreRefusedUnread(_ text: String?) {
        #expect(throws: SlackOAuthState.Refusal.malformed) { try SlackOAuthState.verify(text, key: key, now: 0) }
    }

    @Test func wellSignedNonsenseIsMalformed() {
        for payload in [
            "v2.5000.\(admin.lowercasedString).AAAAAAAAAAAAAAAAAAAAAA", "v1.x.\(admin.lowercasedString).AAAAAAAAAAAAAAAAAAAAAA",
            "v1.5000.not-a-uuid.AAAAAAAAAAAAAAAAAAAAAA", "v1.5000.\(admin.lowercasedString).AAAA", "v1.5000.\(admin.lowercasedString)",
        ] {
            let text = payload + "." + Base64URL.encode(LibCrypto.hmacSHA256(key: key, data: Array(payload.utf8)))
            #expect(throws: SlackOAuthState.Refusal.malformed) { try SlackOAuthState.verify(text, key: key, now: 0) }
        }
    }

    // MARK: Slack's answer

    static var good: [String: Any] {
        [
            "ok": true, "access_token": "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy", "token_type": "bot",
            "scope": "commands,incoming-webhook", "bot_user_id": "U0KRQLJ9H", "app_id": "A0KRD7HC3",
            "team": ["name": "Slack Softball Team", "id": "T9TK3CUKW"], "enterprise": NSNull(), "authed_user": ["id": "U1234"],
            "incoming_webhook": ["channel": "#general", "channel_id": "C12345", "url": "https://hooks.slack.com/x"],
        ]
    }

    static func parse(_ object: [String: Any], status: Int = 200) throws(SlackOAuthAccess.Refusal) -> SlackOAuthAccess {
        try SlackOAuthAccess.parse(status: status, body: Array(try! JSONSerialization.data(withJSONObject: object)), truncated: false)
    }

    @Test func slacksDocumentedAnswerIsAccepted() throws {
        let access = try Self.parse(Self.good)
        #expect(access.botToken.hasPrefix("xoxb-") && access.teamId == "T9TK3CUKW" && access.teamName == "Slack Softball Team")
        #expect(access.channelId == "C12345" && access.channelName == "#general" && access.botUserId == "U0KRQLJ9H")
        #expect(access.scopes == "commands,incoming-webhook" && access.appId == "A0KRD7HC3" && access.authedUserId == "U1234")
    }

    @Test func incompleteOrHostileAnswersAreRefused() {
        func without(_ key: String) -> [String: Any] { Self.good.filter { $0.key != key } }
        func with(_ key: String, _ value: Any) -> [String: Any] { Self.good.merging([key: value]) { _, new in new } }
        let refused: [[String: Any]] = [
            with("ok", false), without("ok"), with("ok", "true"), without("access_token"), with("access_token", "xoxp-user"),
            with("access_token", "xoxb-\u{0}"), with("access_token", "xoxb-" + String(repeating: "a", count: 300)), with("token_type", "user"),
            without("bot_user_id"), with("bot_user_id", "u-lower"), without("team"), with("team", ["name": "x"]),
            with("team", ["id": "T1", "name": "a\nb"]), with("team", ["id": String(repeating: "T", count: 33), "name": "x"]),
            with("incoming_webhook", ["channel_id": "C1\u{202e}"]), with("scope", "chat:write commands"), without("scope"),
            with("app_id", 42), with("authed_user", ["id": "<script>"]),
        ]
        for object in refused {
            #expect(throws: SlackOAuthAccess.Refusal.self, "\(object)") { try Self.parse(object) }
        }
        #expect(throws: SlackOAuthAccess.Refusal.self) { try Self.parse(Self.good, status: 500) }
        #expect(throws: SlackOAuthAccess.Refusal.self) { try SlackOAuthAccess.parse(status: 200, body: Array("[1]".utf8), truncated: false) }
        #expect(throws: SlackOAuthAccess.Refusal.self) { try SlackOAuthAccess.parse(status: 200, body: Array("{".utf8), truncated: false) }
        let body = Array(try! JSONSerialization.data(withJSONObject: Self.good))
        #expect(throws: SlackOAuthAccess.Refusal.self) { try SlackOAuthAccess.parse(status: 200, body: body, truncated: true) }
    }

    @Test func slacksErrorCodeIsShownSanitised() {
        do {
            _ = try Self.parse(["ok": false, "error": "invalid_code<script>\u{1b}[2J" + String(repeating: "x", count: 200)])
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("Slack refused the code exchange: invalid_codescript2J"))
            #expect(!error.description.contains("<") && error.description.count < 140)
        }
        let noChannel = Self.good.filter { $0.key != "incoming_webhook" }
        #expect((try? Self.parse(noChannel))?.channelId == nil)
    }

    // MARK: Configuration and the authorize link

    static let base: [String: String] = [
        "SLACK_CLIENT_ID": "1234.5678", "SLACK_CLIENT_SECRET": "s", "SLACK_SIGNING_SECRET": "g",
        "SLACK_TOKEN_KEY": Base64URL.standard([UInt8](repeating: 7, count: 32)), "ADMIN_URL_BASE": "https://admin.example.org/",
    ]

    @Test func authorizeLinkCarriesWhatSlackNeeds() throws {
        let configuration = try #require(try SlackOAuthConfiguration.fromEnvironment(Self.base))
        #expect(configuration.redirectURL == "https://admin.example.org/api/slack/oauth/callback")
        #expect(configuration.accessURL == "https://slack.com/api/oauth.v2.access")
        let location = try #require(URLComponents(string: configuration.authorizeLocation(state: "v1.1.a+b.c")))
        #expect(location.host == "slack.com" && location.path == "/oauth/v2/authorize")
        let items = Dictionary(uniqueKeysWithValues: (location.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(items["client_id"] == "1234.5678")
        #expect(items["scope"] == "chat:write,commands,channels:history,groups:history,reactions:read,reactions:write,incoming-webhook")
        #expect(items["redirect_uri"] == "https://admin.example.org/api/slack/oauth/callback")
        #expect(location.percentEncodedQuery?.contains("a%2Bb") == true)
    }

    @Test func configurationRefusesWhatCannotWork() throws {
        #expect(try SlackOAuthConfiguration.fromEnvironment([:]) == nil)
        func refusal(_ changes: [String: String?]) -> String? {
            var environment = Self.base
            for (key, value) in changes { environment[key] = value }
            do {
                _ = try NotificationConfiguration.fromEnvironment(environment)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(refusal([:]) == nil)
        #expect(refusal(["SLACK_CLIENT_SECRET": nil])?.contains("go together") == true)
        #expect(refusal(["SLACK_SIGNING_SECRET": nil])?.contains("SLACK_SIGNING_SECRET must be set") == true)
        #expect(refusal(["SLACK_TOKEN_KEY": nil])?.contains("SLACK_TOKEN_KEY must be set") == true)
        #expect(refusal(["ADMIN_URL_BASE": nil])?.contains("ADMIN_URL_BASE must be set with SLACK_CLIENT_ID") == true)
        #expect(refusal(["SLACK_CLIENT_ID": "12<script>"])?.contains("SLACK_CLIENT_ID") == true)
        #expect(refusal(["SLACK_REDIRECT_URL": "javascript:alert(1)"])?.contains("SLACK_REDIRECT_URL") == true)
        #expect(refusal(["SLACK_OAUTH_BASE": "https://x/?a=1"])?.contains("SLACK_OAUTH_BASE") == true)
        for bad in [
            Base64URL.standard([UInt8](repeating: 1, count: 16)), Base64URL.standard([UInt8](repeating: 1, count: 33)), "not base64!", "AAAA",
        ] {
            let message = refusal(["SLACK_TOKEN_KEY": bad])
            #expect(message?.hasPrefix("SLACK_TOKEN_KEY must be 32 bytes in base64") == true, "\(bad): \(message ?? "accepted")")
            #expect(message?.contains(bad) == false)
        }
        // The key alone (no install) is enough to read a stored installation; base64url works too.
        let keyOnly = try NotificationConfiguration.fromEnvironment(["SLACK_TOKEN_KEY": Base64URL.encode([UInt8](repeating: 0xfb, count: 32))])
        #expect(keyOnly.slackTokenSealer != nil && keyOnly.slackOAuth == nil && !keyOnly.slackAppFromInstallation)
        let install = try NotificationConfiguration.fromEnvironment(
            Self.base.merging(["SLACK_REDIRECT_URL": "https://relay.example.org/cb"]) { _, new in new })
        #expect(install.slackOAuth?.redirectURL == "https://relay.example.org/cb")
        #expect(install.slackAppFromInstallation && install.sendableKinds.contains(.slackPost) && install.slackSigningSecret == "g")
    }
}
