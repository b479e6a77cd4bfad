import Foundation
import MsgLib
import TestSupport
import Testing

/// The browser client and its demo pages in a real headless Chromium driven by Selenium (Tests/Browser/browser_tests.py;
/// scripts/test.sh installs Debian's chromium and chromium-driver and Selenium from PyPI). One browser scenario at a
/// time: each starts its own relays and one or two Chromium processes. Screenshots of the demo pages are kept in
/// `MSGTEST_ARTIFACTS_DIR` (scripts/test.sh: .build/test-artifacts).
@Suite(.needsProcesses, .processSlot, .serialized) struct BrowserTests {
    @Test func aUserPageAndAnAdminPageChatLive() async throws {
        try await run("chat")
    }

    @Test func pagesReconnectAfterTheRelayIsKilledAndLoseOrDoubleNothing() async throws {
        try await run("restart")
    }

    @Test func onlyAllowedOriginsMayCallTheRelay() async throws {
        try await run("origins")
    }

    @Test func theServiceWorkerShowsPushesUnlessTheSiteIsFocused() async throws {
        try await run("push")
    }

    /// Runs one scenario against a fresh database with an admin and Alice (and her conversation).
    private func run(_ scenario: String) async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["MSGTEST_PYTHON"], !python.isEmpty else {
            Issue.record("MSGTEST_PYTHON is not set: run the tests through scripts/test.sh (it installs Selenium and Chromium)")
            return
        }
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let signer = JWTSigner(secret: TestRelay.secret)
        // The payload the relay sends for an admin's reply (the same code builds it).
        let reply = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.admin.id, content: "Your order has shipped")
        try db.query("DELETE FROM messages WHERE id = $1", [reply.id])
        let away = PushNotification(message: reply)
        let focused = PushNotification(title: "New message", body: "Seen in the open page", conversationId: UUID(), messageId: UUID())
        let artifacts = URL(fileURLWithPath: environment["MSGTEST_ARTIFACTS_DIR"] ?? NSTemporaryDirectory()).appendingPathComponent("browser").path
        let input: [String: String] = [
            "bin_dir": TestEnvironment.binDirectory.path, "database_url": database.conninfo, "secret": TestRelay.secret,
            "admin_token": signer.token(for: f.admin.id, ttl: 3600), "alice_token": signer.token(for: f.alice.id, ttl: 3600),
            "alice_id": f.alice.id.lowercasedString, "alice_conversation": conversation.id.lowercasedString, "artifacts": artifacts,
            "push_payload": String(decoding: away.payload, as: UTF8.self), "push_payload_focused": String(decoding: focused.payload, as: UTF8.self),
        ]
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Browser/browser_tests.py").path
        let result = try await ProcessRunner.runDetached(
            python, [script, scenario, String(decoding: try JSONEncoder().encode(input), as: UTF8.self)], timeout: 240)
        #expect(result.status == 0, "browser scenario \(scenario): \(result.stderr)")
        print("browser scenario \(scenario): \(result.stdout)")
    }
}

/// The client's own tests of its logic (clients/web/test, Node's test runner): backoff, queueing, de-duplication,
/// typing, token refresh.
@Suite struct WebClientScriptTests {
    @Test func theClientsNodeTestsPass() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard let node = ["/usr/bin/node", "/usr/local/bin/node"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("node is not installed: scripts/test.sh installs Debian's nodejs")
            return
        }
        let result = try await ProcessRunner.runDetached(node, ["--test", root.appendingPathComponent("clients/web/test").path], timeout: 120)
        #expect(result.status == 0, "node --test clients/web/test: \(result.stdout.suffix(4000)) \(result.stderr.suffix(2000))")
    }
}
