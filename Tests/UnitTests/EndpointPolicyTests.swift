import Foundation
import Testing

@testable import MsgLib

/// The SSRF guard for push endpoints: syntax, address classes, resolution and the insecure switch. Offline:
/// getaddrinfo on a literal address or on "localhost" asks no DNS server.
@Suite struct EndpointPolicyTests {
    let policy = EndpointPolicy()

    func refusal(_ url: String, by policy: EndpointPolicy = EndpointPolicy()) -> EndpointError? {
        do {
            _ = try policy.check(url: url)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Syntax

    @Test func acceptsPushServiceURLs() throws {
        let fcm = try policy.check(url: "https://fcm.googleapis.com/fcm/send/dQw4:APA91bH_x-y?z=1#f")
        #expect(fcm.scheme == "https" && fcm.host == "fcm.googleapis.com" && fcm.port == 443)
        #expect(!fcm.hostIsAddress)
        #expect(fcm.origin == "https://fcm.googleapis.com:443")
        let mozilla = try policy.check(url: "HTTPS://Updates.Push.Services.Mozilla.COM./wpush/v2/gAAAAABk")
        #expect(mozilla.scheme == "https" && mozilla.host == "updates.push.services.mozilla.com.")
        let port = try policy.check(url: "https://web.push.apple.com:443")
        #expect(port.port == 443 && port.host == "web.push.apple.com")
        // One spelling per push service URL: what is stored and owned.
        #expect(fcm.canonical == "https://fcm.googleapis.com/fcm/send/dQw4:APA91bH_x-y?z=1")
        #expect(mozilla.canonical == "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk")
        #expect(port.canonical == "https://web.push.apple.com/")
        #expect(try policy.check(url: "https://FCM.googleapis.com:443/fcm/send/x#frag").canonical == "https://fcm.googleapis.com/fcm/send/x")
        let insecure = EndpointPolicy(allowInsecure: true)
        #expect(try insecure.check(url: "http://[::1]:8080/push?a#b").canonical == "http://[::1]:8080/push?a")
        #expect(try insecure.check(url: "http://127.1:80/p").canonical == "http://127.0.0.1/p")
        // Dot segments are resolved as the HTTP client resolves them before sending; an empty path is "/".
        #expect(try policy.check(url: "https://fcm.googleapis.com/x/../fcm/./send/T").canonical == "https://fcm.googleapis.com/fcm/send/T")
        #expect(
            try policy.check(url: "https://fcm.googleapis.com/../../fcm/send/T?a=/../b").canonical == "https://fcm.googleapis.com/fcm/send/T?a=/../b")
        #expect(try policy.check(url: "https://push.example/a/b/..").canonical == "https://push.example/a/")
        #expect(try policy.check(url: "https://push.example?x").canonical == "https://push.example/?x")
        #expect(try policy.check(url: "https://push.example/a//b").canonical == "https://push.example/a//b")
        let v6 = try policy.check(url: "https://[2606:4700:0::1111]:443/x")
        #expect(v6.host == "2606:4700::1111" && v6.port == 443 && v6.hostIsAddress)
        #expect(v6.origin == "https://[2606:4700::1111]:443")
        #expect(try policy.check(url: "https://push_1.example-2.com/").host == "push_1.example-2.com")
    }

    @Test func schemeMustBeHTTPS() {
        #expect(refusal("http://push.example.com/x")?.kind == .insecure)
        #expect(refusal("http://push.example.com/x")?.description == "subscription.endpoint must be an https URL")
        for url in ["ftp://push.example.com/x", "wss://push.example.com/", "file:///etc/passwd", "gopher://push.example.com:70/"] {
            #expect(refusal(url)?.kind == .insecure, "\(url)")
            #expect(refusal(url, by: EndpointPolicy(allowInsecure: true))?.kind == .insecure, "\(url)")
        }
        #expect(refusal("1https://push.example.com/")?.kind == .invalid)
    }

    @Test func refusesMalformedURLs() {
        let cases: [(String, String)] = [
            ("", "must be an absolute URL"),
            ("/relative/path", "must be an absolute https URL"),
            ("push.example.com/x", "must be an absolute https URL"),
            ("https:push.example.com", "must be an absolute https URL"),
            ("https://user:secret@push.example.com/", "must not contain user information"),
            ("https://@push.example.com/", "must not contain user information"),
            ("https://push.example.com@10.0.0.5/", "must not contain user information"),
            ("https:///path", "has no host"),
            ("https://:443/", "has no host"),
            ("https://push.example.com:0/", "has an invalid port"),
            ("https://push.example.com:65536/", "has an invalid port"),
            ("https://push.example.com:/", "has an invalid port"),
            ("https://push.example.com:44a/", "has an invalid port"),
            ("https://push.example.com:+443/", "has an invalid port"),
            ("https://push.example.com:1:2/", "has a malformed host"),
            ("https://push..example.com/", "has a malformed host"),
            ("https://push.example.com%2F@x/", "must not contain user information"),
            ("https://push%2eexample.com/", "has a malformed host"),
            ("https://[::1/", "has a malformed IPv6 address"),
            ("https://[::1]x/", "has a malformed IPv6 address"),
            ("https://[fe80::1%25eth0]/", "has a malformed IPv6 address"),
            ("https://[push.example.com]/", "has a malformed IPv6 address"),
            ("https://push example.com/", "without spaces"),
            ("https://push.example.com/\u{7}", "without spaces"),
            ("https://püsh.example.com/", "without spaces"),
            ("https://push.example.com\\@10.0.0.5/", "without spaces"),
            ("https://" + String(repeating: "a", count: 64) + ".com/", "has a malformed host"),
            ("https://push.example.com/" + String(repeating: "p", count: 2049), "is longer than 2048 characters"),
        ]
        for (url, message) in cases {
            let error = refusal(url)
            #expect(error?.kind == .invalid, "\(url)")
            #expect(error?.description.hasPrefix("subscription.endpoint ") == true, "\(url)")
            #expect(error?.description.contains(message) == true, "\(url): \(String(describing: error))")
        }
        // Exactly 2048 is fine.
        let longest = "https://push.example.com/" + String(repeating: "p", count: 2048 - 25)
        #expect(longest.utf8.count == 2048)
        #expect(refusal(longest) == nil)
    }

    /// Another port would let a subscriber aim pushes at any service of a public host (SMTP, SSH, an admin page).
    @Test func onlyPort443() {
        for url in [
            "https://push.example.com:8443/x", "https://push.example.com:80/x", "https://push.example.com:22/x", "https://93.184.216.34:444/",
            "https://[2606:4700::1111]:8443/x", "https://push.example.com:65535/x",
        ] {
            let error = refusal(url)
            #expect(error?.kind == .refusedPort, "\(url): \(String(describing: error))")
            #expect(error?.description.hasPrefix("subscription.endpoint must use port 443") == true, "\(url)")
            #expect(throws: EndpointError.self) { try policy.resolve(url: url) }
        }
        #expect(refusal("https://push.example.com:8443/x")?.description.hasSuffix("not 8443") == true)
        #expect(refusal("https://push.example.com:443/x") == nil)
        #expect(refusal("https://push.example.com/x") == nil)
        // The insecure switch (tests) lets any port through.
        #expect(refusal("https://push.example.com:8443/x", by: EndpointPolicy(allowInsecure: true)) == nil)
        #expect(refusal("http://127.0.0.1:8080/x", by: EndpointPolicy(allowInsecure: true)) == nil)
    }

    @Test func fieldNameIsConfigurable() {
        let slack = EndpointPolicy(field: "SLACK_WEBHOOK_URL")
        #expect(refusal("http://hooks.slack.com/x", by: slack)?.description == "SLACK_WEBHOOK_URL must be an https URL")
    }

    // MARK: Addresses

    static let nonPublic: [(String, String)] = [
        ("127.0.0.1", "a loopback address 127.0.0.1"),
        ("127.255.255.254", "a loopback address"),
        ("127.1", "a loopback address 127.0.0.1"),  // getaddrinfo's shorthand forms
        ("2130706433", "a loopback address 127.0.0.1"),
        ("0x7f.0.0.1", "a loopback address 127.0.0.1"),
        ("017700000001", "a loopback address 127.0.0.1"),
        ("10.0.0.5", "a private address 10.0.0.5"),
        ("10.255.255.255", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.255", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "a link-local address 169.254.169.254"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("100.127.255.255", "a carrier-grade NAT address"),
        ("0.0.0.0", "an unspecified address 0.0.0.0"),
        ("0.1.2.3", "a reserved address"),
        ("192.0.0.8", "a reserved address"),
        ("192.0.2.1", "a documentation address"),
        ("198.51.100.7", "a documentation address"),
        ("203.0.113.9", "a documentation address"),
        ("192.88.99.1", "a reserved address"),
        ("198.18.0.1", "a reserved address"),
        ("198.19.255.255", "a reserved address"),
        ("224.0.0.1", "a multicast address"),
        ("239.255.255.250", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("255.255.255.255", "a broadcast address"),
        ("[::1]", "a loopback address ::1"),
        ("[0:0:0:0:0:0:0:1]", "a loopback address ::1"),
        ("[::]", "an unspecified address ::"),
        ("[fe80::1]", "a link-local address fe80::1"),
        ("[febf:ffff::1]", "a link-local address"),
        ("[fec0::1]", "a site-local address"),
        ("[fc00::1]", "a unique-local address"),
        ("[fd12:3456:789a::1]", "a unique-local address"),
        ("[ff02::1]", "a multicast address"),
        ("[::ffff:127.0.0.1]", "a loopback address ::ffff:127.0.0.1"),
        ("[::ffff:10.0.0.5]", "a private address"),
        ("[::ffff:169.254.169.254]", "a link-local address"),
        ("[64:ff9b::a00:5]", "a private address 64:ff9b::a00:5"),  // NAT64 of 10.0.0.5
        ("[64:ff9b::7f00:1]", "a loopback address"),
        ("[64:ff9b:1::1]", "a reserved address"),
        ("[2002:7f00:1::1]", "a loopback address"),  // 6to4 of 127.0.0.1
        ("[2002:c0a8:101::1]", "a private address"),  // 6to4 of 192.168.1.1
        ("[::127.0.0.1]", "a reserved address"),  // IPv4-compatible (deprecated)
        ("[::8.8.8.8]", "a reserved address"),
        ("[100::1]", "a reserved address"),
        ("[2001::1]", "a reserved address"),  // Teredo
        ("[2001:db8::1]", "a documentation address"),
        ("[3fff::1]", "a documentation address"),
        ("[4000::1]", "a reserved address"),
    ]

    @Test(arguments: nonPublic)
    func refusesNonPublicAddressLiterals(host: String, reason: String) throws {
        let error = try #require(refusal("https://\(host)/push"))
        #expect(error.kind == .refusedAddress)
        #expect(error.description.hasPrefix("subscription.endpoint points to \(reason)"), "\(error)")
        // resolve() refuses them too, and the insecure policy lets every one through.
        #expect(throws: EndpointError.self) { try policy.resolve(url: "https://\(host)/push") }
        #expect(throws: Never.self) { try EndpointPolicy(allowInsecure: true).check(url: "http://\(host):8080/push") }
    }

    @Test func privateAddressMessageIsExact() {
        #expect(refusal("https://10.0.0.5/x")?.description == "subscription.endpoint points to a private address 10.0.0.5")
    }

    static let publicHosts = [
        "93.184.216.34", "8.8.8.8", "1.1.1.1", "11.0.0.1", "172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0",
        "169.253.255.255", "192.167.255.255", "192.169.0.1", "198.17.255.255", "198.20.0.0", "223.255.255.255",
        "[2606:4700::1111]", "[2a00:1450:4001:81c::200e]", "[2001:4860:4860::8888]", "[64:ff9b::5db8:d822]", "[::ffff:93.184.216.34]",
        "[2002:5db8:d822::1]",
    ]

    @Test(arguments: publicHosts)
    func acceptsPublicAddressLiterals(host: String) throws {
        let endpoint = try policy.check(url: "https://\(host)/push")
        #expect(endpoint.hostIsAddress)
        #expect(endpoint.port == 443)
    }

    /// getaddrinfo on a literal asks no DNS server, so this is offline.
    @Test func resolvesPublicLiteralsOffline() throws {
        let v4 = try policy.resolve(url: "https://93.184.216.34/push/1")
        #expect(v4 == ResolvedAddress(host: "93.184.216.34", port: 443, address: "93.184.216.34"))
        let v6 = try policy.resolve(url: "https://[2606:4700::1111]/push/1")
        #expect(v6 == ResolvedAddress(host: "2606:4700::1111", port: 443, address: "2606:4700::1111"))
        #expect(v6.description == "[2606:4700::1111]:443 at 2606:4700::1111")
    }

    @Test func localhostIsRefused() {
        for url in ["https://localhost/push", "https://LOCALHOST./push", "https://push.localhost:8443/push"] {
            #expect(refusal(url)?.kind == .refusedAddress, "\(url)")
            #expect(throws: EndpointError.self) { try policy.resolve(url: url) }
        }
        #expect(refusal("https://localhost/")?.description.contains("loopback") == true)
    }

    /// The getaddrinfo path: "localhost" resolves (from /etc/hosts) to loopback addresses, all of them refused.
    @Test func resolvedNamesAreCheckedAddressByAddress() throws {
        let endpoint = EndpointURL(string: "https://push.example.com/", scheme: "https", host: "push.example.com", port: 443, address: nil)
        let loopback = try EndpointPolicy.lookUp("localhost", port: 443, field: "subscription.endpoint")
        #expect(!loopback.isEmpty)
        let error = try #require(throws: EndpointError.self) { try policy.vet(loopback, of: endpoint) }
        #expect(error.kind == .refusedAddress)
        #expect(error.description.hasPrefix("subscription.endpoint host push.example.com resolves to a loopback address"))

        // One bad address among good ones is enough to refuse.
        let good = try #require(IPAddress(ipv4: "93.184.216.34"))
        let bad = try #require(IPAddress(ipv4: "10.0.0.5"))
        let mixed = try #require(throws: EndpointError.self) { try policy.vet([good, bad], of: endpoint) }
        #expect(mixed.description == "subscription.endpoint host push.example.com resolves to a private address 10.0.0.5")
        // All public: the first is pinned, the others kept for retries.
        let other = try #require(IPAddress(ipv6: "2606:4700::1111"))
        #expect(
            try policy.vet([good, other], of: endpoint)
                == ResolvedAddress(host: "push.example.com", port: 443, address: "93.184.216.34", alternatives: ["93.184.216.34", "2606:4700::1111"]))
        #expect(throws: EndpointError.self) { try policy.vet([], of: endpoint) }
    }

    @Test func unresolvableNamesSaySo() {
        // An invalid name fails in getaddrinfo before any DNS query.
        #expect(throws: EndpointError.self) { try EndpointPolicy.lookUp("", port: 443, field: "subscription.endpoint") }
    }

    // MARK: Insecure switch

    @Test func environmentSwitch() {
        for value in ["1", "true", "TRUE", " True "] {
            #expect(EndpointPolicy.fromEnvironment(["PUSH_ALLOW_INSECURE_ENDPOINTS": value]).allowInsecure, "\(value)")
        }
        for value in ["0", "", "false", "yes", "2"] {
            #expect(!EndpointPolicy.fromEnvironment(["PUSH_ALLOW_INSECURE_ENDPOINTS": value]).allowInsecure, "\(value)")
        }
        #expect(!EndpointPolicy.fromEnvironment([:]).allowInsecure)
        #expect(EndpointPolicy.fromEnvironment([:], field: "x").field == "x")
    }

    @Test func insecurePolicyLetsLoopbackHTTPThrough() throws {
        let insecure = EndpointPolicy.fromEnvironment(["PUSH_ALLOW_INSECURE_ENDPOINTS": "1"])
        let endpoint = try insecure.check(url: "http://127.0.0.1:8080/push")
        #expect(endpoint.scheme == "http" && endpoint.port == 8080)
        #expect(try insecure.resolve(url: "http://127.0.0.1:8080/push").address == "127.0.0.1")
        #expect(try insecure.check(url: "http://example.com/").port == 80)
        let local = try insecure.resolve(url: "http://localhost:8080/push")
        #expect(["127.0.0.1", "::1"].contains(local.address))
        #expect(local.host == "localhost" && local.port == 8080)
        // The other rules still hold.
        #expect(refusal("http://user@127.0.0.1/", by: insecure)?.kind == .invalid)
        #expect(refusal("ftp://127.0.0.1/", by: insecure)?.kind == .insecure)
    }
}
