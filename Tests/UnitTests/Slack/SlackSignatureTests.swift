import Foundation
import Testing

@testable import MsgLib

/// Slack's v0 request signatures, without I/O.
@Suite struct SlackSignatureTests {
    /// The example of Slack's "Verifying requests from Slack" guide.
    static let guideSecret = "8f742231b10e8888abcd99yyyzzz85a5"
    static let guideBody =
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    static let guideSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

    @Test func theGuideExampleSignsAndVerifies() throws {
        let signer = SlackSignature(signingSecret: Self.guideSecret)
        #expect(signer.signature(timestamp: "1531420618", body: Array(Self.guideBody.utf8)) == Self.guideSignature)
        try signer.verify(timestamp: "1531420618", signature: Self.guideSignature, body: Array(Self.guideBody.utf8), now: 1_531_420_618 + 299)
    }

    @Test func refusals() {
        let signer = SlackSignature(signingSecret: "secret")
        let body = Array(#"{"type":"event_callback"}"#.utf8)
        let now: Int64 = 1_700_000_000
        let good = signer.signature(timestamp: "\(now)", body: body)
        func reason(_ timestamp: String?, _ signature: String?, _ body: [UInt8], now: Int64 = now) -> SlackSignatureError? {
            do {
                try signer.verify(timestamp: timestamp, signature: signature, body: body, now: now)
                return nil
            } catch { return error }
        }
        #expect(reason("\(now)", good, body) == nil)
        #expect(reason(nil, good, body) == .missingHeaders)
        #expect(reason("\(now)", nil, body) == .missingHeaders)
        #expect(reason("", "", body) == .missingHeaders)
        #expect(reason("12a", good, body) == .malformedTimestamp)
        #expect(reason("-5", good, body) == .malformedTimestamp)
        #expect(reason(String(repeating: "9", count: 40), good, body) == .malformedTimestamp)
        // Five minutes either way, and not a second more.
        #expect(reason("\(now)", good, body, now: now + 300) == nil)
        #expect(reason("\(now)", good, body, now: now + 301) == .stale)
        #expect(reason("\(now)", good, body, now: now - 301) == .stale)
        #expect(reason("\(now)", good, body + [0x20]) == .mismatch)
        #expect(reason("\(now + 1)", good, body, now: now + 1) == .mismatch)
        #expect(reason("\(now)", good.uppercased(), body) == .mismatch)
        #expect(reason("\(now)", "v1=" + good.dropFirst(3), body) == .mismatch)
        #expect(reason("\(now)", String(good.dropLast()), body) == .mismatch)
        let other = SlackSignature(signingSecret: "other").signature(timestamp: "\(now)", body: body)
        #expect(reason("\(now)", other, body) == .mismatch)
    }

    @Test func anEmptyBodyAndAHugeOneAreSignedLikeAnyOther() throws {
        let signer = SlackSignature(signingSecret: "s")
        for body in [[UInt8](), [UInt8](repeating: 0x41, count: 1 << 20)] {
            let signature = signer.signature(timestamp: "1", body: body)
            #expect(signature.hasPrefix("v0=") && signature.count == 67)
            try signer.verify(timestamp: "1", signature: signature, body: body, now: 1)
        }
    }
}
