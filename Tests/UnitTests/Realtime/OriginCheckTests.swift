import Testing

@testable import RelayKit

/// The WebSocket `Origin` check without `ALLOWED_ORIGINS`: same host by name, and by port when `Host` names one.
@Suite struct OriginCheckTests {
    @Test(
        arguments: [
            // No Origin: not a browser.
            (nil, "chat.example.com", true),
            ("https://chat.example.com", "chat.example.com", true),
            ("https://Chat.Example.com", "chat.example.COM", true),
            // nginx's `$host` drops the port: the name decides.
            ("https://chat.example.com:8443", "chat.example.com", true),
            ("https://chat.example.com:8443", "chat.example.com:8443", true),
            // A default port written out on either side.
            ("https://chat.example.com", "chat.example.com:443", true),
            ("https://chat.example.com:443", "chat.example.com:443", true),
            ("http://127.0.0.1:8080", "127.0.0.1:8080", true),
            ("http://[::1]:8080", "[::1]:8080", true),
            // Another port than the one Host names, another name, nothing readable.
            ("https://chat.example.com:8443", "chat.example.com:443", false),
            ("http://chat.example.com", "chat.example.com:443", false),
            ("https://evil.example", "chat.example.com", false),
            ("https://chat.example.com.evil.example", "chat.example.com", false),
            ("null", "chat.example.com", false),
            ("https://chat.example.com", nil, false),
            ("https://chat.example.com", "chat.example.com/x", false),
            ("https://chat.example.com", "user@chat.example.com", false),
        ] as [(String?, String?, Bool)])
    func sameHost(origin: String?, host: String?, allowed: Bool) {
        #expect(SocketAdmission.originAllowed(origin, host: host, allowed: nil) == allowed, "\(origin ?? "-") from \(host ?? "-")")
    }

    @Test func allowedOriginsAreExact() {
        let allowed: Set<String> = ["https://www.example.com"]
        #expect(SocketAdmission.originAllowed("https://www.example.com", host: "relay.internal", allowed: allowed))
        #expect(!SocketAdmission.originAllowed("https://relay.internal", host: "relay.internal", allowed: allowed))
    }
}
