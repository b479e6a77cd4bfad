import Foundation
import Testing

@testable import MsgctlKit

/// `tail` and the REPL reach the relay's WebSocket under the path the relay URL names (a relay behind a proxy prefix).
@Suite struct LiveEndpointTests {
    @Test(arguments: [
        ("http://127.0.0.1:8080", "/ws/messages"), ("http://127.0.0.1:8080/", "/ws/messages"),
        ("http://example.test/msgrelay", "/msgrelay/ws/messages"), ("http://example.test/msgrelay//", "/msgrelay/ws/messages"),
    ])
    func theRelayURLsPathIsKept(relay: String, endpoint: String) throws {
        let live = try LiveConnection(relay: try #require(URL(string: relay)), token: { "" })
        #expect(live.endpoint == endpoint)
    }
}
