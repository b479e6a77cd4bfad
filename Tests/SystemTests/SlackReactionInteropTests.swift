import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Our `reactions.add` / `reactions.remove` calls compared with those of Slack's own Python SDK (`slack_sdk.WebClient`),
/// through Interop/slack_interop.py, both sent to the fake Slack: the same methods, the same fields with the same
/// values (the SDK sends a form, we send JSON, which Slack's Web API takes alike), the same bearer token.
@Suite(.needsProcesses, .processSlot) struct SlackReactionInteropTests {
    struct Answer: Decodable { var ok: Bool }

    @Test func ourReactionCallsAreTheSDKs() async throws {
        let slack = try FakeSlack()
        defer { slack.stop() }
        let post = SlackMessagePost(messageId: UUID(), channelId: "C0INBOX01", ts: "1712345679.000100")
        let name = SlackEmojiName.name(forEmoji: "👍🏽") ?? ""
        let input = ["base_url": slack.apiBase + "/", "token": "xoxb-interop", "channel": post.channelId, "timestamp": post.ts, "name": name]
        guard let answer = try await InteropScript.run("slack_interop.py", "react", input, as: Answer.self, needs: "slack-sdk") else { return }
        #expect(answer.ok)
        let sdk = slack.calls
        #expect(sdk.map(\.method) == ["reactions.add", "reactions.remove"])

        let configuration = SlackAppConfiguration(botToken: "xoxb-interop", signingSecret: "s", channelId: post.channelId, apiBase: slack.apiBase)
        let api = SlackWebAPI(configuration: configuration)
        let client = HTTPClient(configuration: .init(allowInsecure: true))
        for add in [true, false] {
            let request = SlackReactionRequest(post: post, name: name, add: add)
            let outcome = SlackReactionRequest.outcome(await client.send([api.request(request.method, body: request.body)])[0])
            #expect(outcome == .delivered)
        }
        let ours = Array(slack.calls.dropFirst(2))
        #expect(ours.map(\.method) == sdk.map(\.method))
        for (mine, theirs) in zip(ours, sdk) {
            #expect(mine.request.path == theirs.request.path)
            #expect(mine.header("Authorization") == theirs.header("Authorization"))
            let fields = (mine.json ?? [:]).compactMapValues { $0 as? String }
            #expect(fields == theirs.form, "\(mine.method)")
            #expect(fields == ["channel": post.channelId, "timestamp": post.ts, "name": "+1::skin-tone-4"])
        }
    }
}
