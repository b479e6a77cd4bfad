import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Our Slack request signatures checked against Slack's own Python SDK (`slack_sdk.signature.SignatureVerifier`),
/// through Interop/slack_interop.py: its signatures verify with our code, ours with its code, and both refuse the same
/// wrong secrets, old timestamps, altered bodies and missing headers.
@Suite(.needsProcesses, .processSlot) struct SlackSignatureInteropTests {
    struct Signed: Decodable { var signature: String }
    struct Verdict: Decodable { var valid: Bool }

    static let bodies: [[UInt8]] = [
        Array(#"{"type":"event_callback","event_id":"Ev1","event":{"type":"message","text":"zoë: Привет 👋 &lt;b&gt;"}}"#.utf8),
        Array("token=x&team_id=T1&user_id=U2&command=%2Fmsg&text=reply+bob+hi%21&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1".utf8),
        [],
        Array(String(repeating: "a\u{1}\r\n", count: 15_000).utf8),
    ]

    static func sdkSign(secret: String, timestamp: String, body: [UInt8]) async throws -> String? {
        try await InteropScript.run(
            "slack_interop.py", "sign", ["secret": secret, "timestamp": timestamp, "body": Base64URL.encode(body)], as: Signed.self,
            needs: "slack-sdk")?.signature
    }

    static func sdkVerifies(secret: String, timestamp: String?, signature: String?, body: [UInt8], now: Int64) async throws -> Bool? {
        var input = ["secret": secret, "body": Base64URL.encode(body), "now": String(now)]
        input["timestamp"] = timestamp
        input["signature"] = signature
        return try await InteropScript.run("slack_interop.py", "verify", input, as: Verdict.self, needs: "slack-sdk")?.valid
    }

    static func oursVerifies(secret: String, timestamp: String?, signature: String?, body: [UInt8], now: Int64) -> Bool {
        (try? SlackSignature(signingSecret: secret).verify(timestamp: timestamp, signature: signature, body: body, now: now)) != nil
    }

    @Test func slackSDKSignaturesVerifyWithOurs() async throws {
        let now = Int64(Date().timeIntervalSince1970)
        for body in Self.bodies {
            guard let signature = try await Self.sdkSign(secret: "8f742231b10e8888abcd99yyyzzz85a5", timestamp: "\(now)", body: body) else { return }
            #expect(signature == SlackSignature(signingSecret: "8f742231b10e8888abcd99yyyzzz85a5").signature(timestamp: "\(now)", body: body))
            #expect(Self.oursVerifies(secret: "8f742231b10e8888abcd99yyyzzz85a5", timestamp: "\(now)", signature: signature, body: body, now: now))
            #expect(!Self.oursVerifies(secret: "another secret", timestamp: "\(now)", signature: signature, body: body, now: now))
            #expect(
                !Self.oursVerifies(
                    secret: "8f742231b10e8888abcd99yyyzzz85a5", timestamp: "\(now)", signature: signature, body: body + [0x0A], now: now))
        }
    }

    @Test func ourSignaturesVerifyWithSlackSDK() async throws {
        let now = Int64(Date().timeIntervalSince1970)
        let secret = "a signing secret ✓"
        for body in Self.bodies {
            let signature = SlackSignature(signingSecret: secret).signature(timestamp: "\(now)", body: body)
            guard let valid = try await Self.sdkVerifies(secret: secret, timestamp: "\(now)", signature: signature, body: body, now: now) else {
                return
            }
            #expect(valid)
        }
    }

    /// Each case is judged the same by both implementations.
    @Test func bothRefuseTheSameRequests() async throws {
        let now = Int64(Date().timeIntervalSince1970)
        let secret = "shared-secret"
        let body = Self.bodies[0]
        let signer = SlackSignature(signingSecret: secret)
        let old = "\(now - 301)"
        let recent = "\(now - 299)"
        let cases: [(name: String, timestamp: String?, signature: String?, body: [UInt8], expected: Bool)] = [
            ("fresh", "\(now)", signer.signature(timestamp: "\(now)", body: body), body, true),
            ("299 s old", recent, signer.signature(timestamp: recent, body: body), body, true),
            ("301 s old", old, signer.signature(timestamp: old, body: body), body, false),
            ("wrong secret", "\(now)", SlackSignature(signingSecret: "other").signature(timestamp: "\(now)", body: body), body, false),
            ("altered body", "\(now)", signer.signature(timestamp: "\(now)", body: body), Array(body.dropLast()), false),
            ("other timestamp", "\(now - 1)", signer.signature(timestamp: "\(now)", body: body), body, false),
            ("no signature", "\(now)", nil, body, false),
            ("no timestamp", nil, signer.signature(timestamp: "\(now)", body: body), body, false),
        ]
        for item in cases {
            #expect(
                Self.oursVerifies(secret: secret, timestamp: item.timestamp, signature: item.signature, body: item.body, now: now) == item.expected,
                "ours: \(item.name)")
            guard
                let sdk = try await Self.sdkVerifies(secret: secret, timestamp: item.timestamp, signature: item.signature, body: item.body, now: now)
            else { return }
            #expect(sdk == item.expected, "slack_sdk: \(item.name)")
        }
    }
}
