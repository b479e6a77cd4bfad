import Foundation
import Glibc

/// Which outbound URLs the relay may call: the guard against server-side request forgery through Web Push
/// subscription endpoints (and any other URL a client or an operator hands us).
///
/// Two steps. ``check(url:)`` is syntactic and cheap, for the moment a subscription arrives: an absolute
/// `https` URL on port 443 without user information, at most 2048 characters, whose host, when it is a literal
/// address, is public (every push service listens on 443; another port would let a subscriber aim the relay at
/// any service of a public host). ``resolve(url:)`` looks the host up (blocking `getaddrinfo`), refuses it when *any* of its
/// addresses is not public, and returns one checked address for ``HTTPClient`` to connect to, so a DNS answer
/// that changes between the check and the connection (DNS rebinding) cannot send us elsewhere.
///
/// With `allowInsecure` (PUSH_ALLOW_INSECURE_ENDPOINTS=1, for tests) `http` URLs, every port and every address
/// are accepted; the other syntactic rules still hold.
package struct EndpointPolicy: Sendable {
    /// Whether `http` URLs, ports other than 443 and private, loopback or otherwise non-public addresses are let
    /// through.
    package var allowInsecure: Bool
    /// The name of the checked value in error messages, e.g. "subscription.endpoint".
    package var field: String

    /// URLs longer than this many bytes are refused.
    package static let maximumLength = 2048
    /// The only port allowed (unless insecure).
    package static let port = 443

    /// - Parameters:
    ///   - allowInsecure: let `http` and non-public addresses through (tests only).
    ///   - field: how error messages name the URL (they are meant for an HTTP 400 body).
    package init(allowInsecure: Bool = false, field: String = "subscription.endpoint") {
        self.allowInsecure = allowInsecure
        self.field = field
    }

    /// A policy configured from the environment.
    ///
    /// Keys:
    /// - `PUSH_ALLOW_INSECURE_ENDPOINTS`: "1" or "true" (any case) allows `http` and non-public addresses;
    ///   anything else, or unset, does not.
    package static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, field: String = "subscription.endpoint"
    ) -> EndpointPolicy {
        let value = environment["PUSH_ALLOW_INSECURE_ENDPOINTS"]?.trimmingCharacters(in: .whitespaces).lowercased()
        return EndpointPolicy(allowInsecure: value == "1" || value == "true", field: field)
    }

    /// Checks `url` without touching the network.
    /// - Returns: the URL's scheme, host and port.
    /// - Throws: ``EndpointError`` whose description says what is wrong, naming ``field``.
    package func check(url: String) throws(EndpointError) -> EndpointURL {
        let bytes = Array(url.utf8)
        guard bytes.count <= Self.maximumLength else {
            throw EndpointError(.invalid, "\(field) is longer than \(Self.maximumLength) characters")
        }
        // Printable ASCII only: no spaces, controls or raw Unicode (a browser sends endpoints percent-encoded),
        // and no backslash, which some parsers read as a slash.
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }) else {
            throw EndpointError(.invalid, "\(field) must be an absolute URL without spaces or special characters")
        }
        guard let separator = url.range(of: "://") else {
            throw EndpointError(.invalid, "\(field) must be an absolute https URL")
        }
        let scheme = url[..<separator.lowerBound].lowercased()
        guard let first = scheme.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
            scheme.utf8.allSatisfy({ Self.isSchemeByte($0) })
        else { throw EndpointError(.invalid, "\(field) must be an absolute https URL") }
        guard scheme == "https" || (scheme == "http" && allowInsecure) else {
            throw EndpointError(.insecure, "\(field) must be an https URL")
        }

        let rest = url[separator.upperBound...]
        let authority = rest[..<(rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex)]
        guard !authority.contains("@") else {
            throw EndpointError(.invalid, "\(field) must not contain user information")
        }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw EndpointError(.invalid, "\(field) has a malformed IPv6 address") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw EndpointError(.invalid, "\(field) has a malformed IPv6 address") }
                portText = after.dropFirst()
            }
            guard let address = IPAddress(ipv6: String(host)) else {
                throw EndpointError(.invalid, "\(field) has a malformed IPv6 address")
            }
            return try endpoint(url, scheme: scheme, host: address.description, address: address, portText: portText)
        }

        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw EndpointError(.invalid, "\(field) has a malformed host") }
        host = parts[0]
        if parts.count == 2 { portText = parts[1] }
        guard !host.isEmpty else { throw EndpointError(.invalid, "\(field) has no host") }
        let name = host.lowercased()
        // Whatever getaddrinfo would read as an IPv4 address (also "127.1", "0x7f.0.0.1", "2130706433") is one.
        if let address = IPAddress(ipv4: name) {
            return try endpoint(url, scheme: scheme, host: address.description, address: address, portText: portText)
        }
        guard Self.isHostName(name) else { throw EndpointError(.invalid, "\(field) has a malformed host") }
        let bare = name.hasSuffix(".") ? String(name.dropLast()) : name
        if !allowInsecure && (bare == "localhost" || bare.hasSuffix(".localhost")) {
            throw EndpointError(.refusedAddress, "\(field) points to a loopback address (\(name))")
        }
        return try endpoint(url, scheme: scheme, host: name, address: nil, portText: portText)
    }

    /// Checks `url`, resolves its host and checks every address it resolves to.
    ///
    /// Blocking (`getaddrinfo`): call it from a thread of your own, never from Swift's cooperative pool.
    /// - Returns: the address to connect to (pass it as ``HTTPClient/Request/pinnedAddress``).
    /// - Throws: ``EndpointError``: the URL is refused, or its host cannot be resolved (`.unresolvable`).
    package func resolve(url: String) throws(EndpointError) -> ResolvedAddress {
        try resolve(check(url: url))
    }

    /// Resolves an endpoint that ``check(url:)`` accepted. Blocking, like ``resolve(url:)``.
    package func resolve(_ endpoint: EndpointURL) throws(EndpointError) -> ResolvedAddress {
        let addresses: [IPAddress]
        if let literal = endpoint.address {
            addresses = [literal]
        } else {
            addresses = try Self.lookUp(endpoint.host, port: endpoint.port, field: field)
        }
        return try vet(addresses, of: endpoint)
    }

    // MARK: Internals

    /// Refuses `addresses` when one of them is not public (unless insecure); otherwise pins the first one,
    /// which is getaddrinfo's preferred address (RFC 6724 order), with the others as alternatives for retries.
    func vet(_ addresses: [IPAddress], of endpoint: EndpointURL) throws(EndpointError) -> ResolvedAddress {
        guard let first = addresses.first else {
            throw EndpointError(.unresolvable, "\(field) host \(endpoint.host) has no address")
        }
        if !allowInsecure {
            for address in addresses {
                if let reason = address.nonPublicReason {
                    let message =
                        endpoint.address == nil
                        ? "\(field) host \(endpoint.host) resolves to \(reason) \(address)"
                        : "\(field) points to \(reason) \(address)"
                    throw EndpointError(.refusedAddress, message)
                }
            }
        }
        var seen = Set<String>()
        let all = addresses.map(\.description).filter { seen.insert($0).inserted }
        return ResolvedAddress(host: endpoint.host, port: endpoint.port, address: first.description, alternatives: all)
    }

    private func endpoint(_ url: String, scheme: String, host: String, address: IPAddress?, portText: Substring?) throws(EndpointError)
        -> EndpointURL
    {
        var port = scheme == "https" ? 443 : 80
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let value = Int(portText), (1...65535).contains(value)
            else { throw EndpointError(.invalid, "\(field) has an invalid port") }
            port = value
        }
        if !allowInsecure && port != Self.port {
            throw EndpointError(.refusedPort, "\(field) must use port \(Self.port) (the https port push services listen on), not \(port)")
        }
        if let address, !allowInsecure, let reason = address.nonPublicReason {
            throw EndpointError(.refusedAddress, "\(field) points to \(reason) \(address)")
        }
        return EndpointURL(string: url, scheme: scheme, host: host, port: port, address: address)
    }

    private static func isSchemeByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    /// Letters, digits, hyphens and underscores in dot-separated labels of at most 63 characters, at most 253
    /// in all, one trailing dot allowed.
    private static func isHostName(_ name: String) -> Bool {
        let trimmed = name.hasSuffix(".") ? name.dropLast() : Substring(name)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 253 else { return false }
        return trimmed.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63
                && label.utf8.allSatisfy { byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                        || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                }
        }
    }

    /// Every distinct address `getaddrinfo` gives for `host`, in its order.
    static func lookUp(_ host: String, port: Int, field: String) throws(EndpointError) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            let reason = String(cString: gai_strerror(status))
            throw EndpointError(.unresolvable, "\(field) host \(host) could not be resolved (\(reason))")
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var entry = list
        while let current = entry {
            if let sockaddr = current.pointee.ai_addr, let address = IPAddress(sockaddr), !addresses.contains(address) {
                addresses.append(address)
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }
}

/// An absolute URL that ``EndpointPolicy/check(url:)`` accepted.
package struct EndpointURL: Sendable, Hashable, CustomStringConvertible {
    /// The URL as given.
    package let string: String
    /// "https" (or "http" under an insecure policy), lowercased.
    package let scheme: String
    /// The host, lowercased; an IPv6 address without brackets, an IPv4 address in dotted-quad form.
    package let host: String
    /// The port, or the scheme's default.
    package let port: Int
    /// The host as an address, when it is a literal one.
    let address: IPAddress?

    /// Whether the host is a literal IP address rather than a name.
    package var hostIsAddress: Bool { address != nil }

    /// "scheme://host:port": what may be logged (the path of a push endpoint is a secret of its subscriber).
    package var origin: String {
        "\(scheme)://\(address?.isIPv6 == true ? "[\(host)]" : host):\(port)"
    }

    package var description: String { origin }

    /// The URL in one spelling for the push service it reaches: scheme and host lowercased, the host's final dot and
    /// the scheme's own port left out, the fragment (never sent) dropped; path and query as given. Stored and looked
    /// up in this form, so that the first user to register an endpoint owns every spelling of it.
    package var canonical: String {
        let name = address == nil && host.hasSuffix(".") ? String(host.dropLast()) : host
        let authority = address?.isIPv6 == true ? "[\(name)]" : name
        let defaultPort = scheme == "https" ? 443 : 80
        var rest = Substring(string)
        if let separator = rest.range(of: "://") { rest = rest[separator.upperBound...] }
        rest = rest[(rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex)...]
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
        let path = Self.withoutDotSegments(String(rest[..<queryStart]))
        return "\(scheme)://\(authority)\(port == defaultPort ? "" : ":\(port)")\(path)\(rest[queryStart...])"
    }

    /// `path` as an HTTP client sends it: `.` and `..` segments resolved (RFC 3986 section 5.2.4), `/` when empty.
    static func withoutDotSegments(_ path: String) -> String {
        var segments: [Substring] = []
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (index, part) in parts.enumerated() {
            let last = index == parts.count - 1
            switch part {
            case ".":
                if last { segments.append("") }
            case "..":
                if !segments.isEmpty { segments.removeLast() }
                if last { segments.append("") }
            default: segments.append(part)
            }
        }
        return "/" + segments.joined(separator: "/")
    }
}

/// A checked address for a URL's host: ``HTTPClient`` connects to `address` whatever DNS says by then.
package struct ResolvedAddress: Sendable, Hashable, CustomStringConvertible {
    /// The URL's host, as ``EndpointURL/host``.
    package let host: String
    /// The URL's port.
    package let port: Int
    /// The numeric address to connect to ("93.184.216.34", "2606:4700::1111").
    package let address: String
    /// Every address the name resolved to and that was checked, the preferred one first.
    package let alternatives: [String]

    /// A pin made by hand. ``EndpointPolicy/resolve(url:)`` is the way to get one that was checked.
    package init(host: String, port: Int, address: String, alternatives: [String]? = nil) {
        self.host = host
        self.port = port
        self.address = address
        self.alternatives = alternatives ?? [address]
    }

    /// The pin for a job's `attempt` (0 for the first): each retry connects to the next checked address, so one that
    /// does not answer (an IPv6 route that is down) is not tried for ever.
    package func forAttempt(_ attempt: Int) -> ResolvedAddress {
        guard alternatives.count > 1 else { return self }
        return ResolvedAddress(host: host, port: port, address: alternatives[max(0, attempt) % alternatives.count], alternatives: alternatives)
    }

    package var description: String { "\(host.contains(":") ? "[\(host)]" : host):\(port) at \(address)" }
}

/// Why an endpoint URL is refused. `description` is meant for an HTTP 400 body.
package struct EndpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of refusal this is.
    package struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String { case invalid, insecure, refusedPort, refusedAddress, unresolvable }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Not an absolute URL we can use: too long, user information, no host, bad port or characters.
        package static let invalid = Kind(.invalid)
        /// A scheme other than https (http only under an insecure policy).
        package static let insecure = Kind(.insecure)
        /// A port other than 443.
        package static let refusedPort = Kind(.refusedPort)
        /// The host is, or resolves to, a loopback, private, link-local or otherwise non-public address.
        package static let refusedAddress = Kind(.refusedAddress)
        /// The host name could not be resolved (may be temporary).
        package static let unresolvable = Kind(.unresolvable)

        package var description: String { base.rawValue }
    }

    package let kind: Kind
    /// A sentence naming the field, e.g. "subscription.endpoint must be an https URL".
    package let message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}

/// An IPv4 or IPv6 address as its bytes (4 or 16), with the classification the policy needs.
struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    let bytes: [UInt8]

    var isIPv6: Bool { bytes.count == 16 }

    init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses IPv4 as `inet_aton` does, as glibc's resolver would: also "127.1", "0x7f.1", "2130706433".
    init?(ipv4 text: String) {
        var address = in_addr()
        guard inet_aton(text, &address) != 0 else { return nil }
        self.bytes = withUnsafeBytes(of: address.s_addr) { Array($0) }
    }

    /// Parses the text form of an IPv6 address (no zone index).
    init?(ipv6 text: String) {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        self.bytes = withUnsafeBytes(of: address) { Array($0) }
    }

    /// Reads an `AF_INET` or `AF_INET6` socket address.
    init?(_ address: UnsafePointer<sockaddr>) {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) } }
            self.bytes = bytes
        case AF_INET6:
            let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) } }
            self.bytes = bytes
        default:
            return nil
        }
    }

    /// The canonical text form ("10.0.0.5", "2606:4700::1111").
    var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv6 ? AF_INET6 : AF_INET
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        guard ok else { return "?" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// nil for a public unicast address; otherwise what it is, as "a private address".
    var nonPublicReason: String? {
        isIPv6 ? Self.ipv6Reason(bytes) : Self.ipv4Reason(UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3]))
    }

    /// Special-purpose IPv4 blocks (RFC 6890 and the IANA registry), first match wins.
    private static let ipv4Blocks: [(prefix: UInt32, length: UInt32, reason: String)] = [
        (0x0000_0000, 32, "an unspecified address"),  // 0.0.0.0
        (0x0000_0000, 8, "a reserved address"),  // 0.0.0.0/8 "this network"
        (0x0A00_0000, 8, "a private address"),  // 10.0.0.0/8
        (0x6440_0000, 10, "a carrier-grade NAT address"),  // 100.64.0.0/10
        (0x7F00_0000, 8, "a loopback address"),  // 127.0.0.0/8
        (0xA9FE_0000, 16, "a link-local address"),  // 169.254.0.0/16
        (0xAC10_0000, 12, "a private address"),  // 172.16.0.0/12
        (0xC000_0000, 24, "a reserved address"),  // 192.0.0.0/24 IETF protocol assignments
        (0xC000_0200, 24, "a documentation address"),  // 192.0.2.0/24
        (0xC058_6300, 24, "a reserved address"),  // 192.88.99.0/24 former 6to4 relays
        (0xC0A8_0000, 16, "a private address"),  // 192.168.0.0/16
        (0xC612_0000, 15, "a reserved address"),  // 198.18.0.0/15 benchmarking
        (0xC633_6400, 24, "a documentation address"),  // 198.51.100.0/24
        (0xCB00_7100, 24, "a documentation address"),  // 203.0.113.0/24
        (0xE000_0000, 4, "a multicast address"),  // 224.0.0.0/4
        (0xFFFF_FFFF, 32, "a broadcast address"),  // 255.255.255.255
        (0xF000_0000, 4, "a reserved address"),  // 240.0.0.0/4
    ]

    static func ipv4Reason(_ value: UInt32) -> String? {
        for block in ipv4Blocks {
            let mask: UInt32 = block.length == 0 ? 0 : ~UInt32(0) << (32 - block.length)
            if value & mask == block.prefix { return block.reason }
        }
        return nil
    }

    static func ipv6Reason(_ b: [UInt8]) -> String? {
        func startsWith(_ prefix: [UInt8], bits: Int) -> Bool {
            for i in 0..<(bits / 8) where b[i] != prefix[i] { return false }
            let rest = bits % 8
            if rest == 0 { return true }
            let mask = UInt8(0xFF) << (8 - rest)
            return b[bits / 8] & mask == prefix[bits / 8] & mask
        }
        func embeddedIPv4(at offset: Int) -> UInt32 {
            UInt32(b[offset]) << 24 | UInt32(b[offset + 1]) << 16 | UInt32(b[offset + 2]) << 8 | UInt32(b[offset + 3])
        }
        if b.allSatisfy({ $0 == 0 }) { return "an unspecified address" }
        if b.dropLast().allSatisfy({ $0 == 0 }) && b[15] == 1 { return "a loopback address" }
        // IPv4-mapped ::ffff:0:0/96 and NAT64 64:ff9b::/96 reach the IPv4 address they carry.
        if startsWith([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF], bits: 96) || startsWith([0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0], bits: 96) {
            return ipv4Reason(embeddedIPv4(at: 12))
        }
        // 6to4 2002::/16 carries one in bytes 2...5.
        if startsWith([0x20, 0x02], bits: 16) { return ipv4Reason(embeddedIPv4(at: 2)) }
        if startsWith([0xFF], bits: 8) { return "a multicast address" }
        if startsWith([0xFE, 0x80], bits: 10) { return "a link-local address" }
        if startsWith([0xFE, 0xC0], bits: 10) { return "a site-local address" }
        if startsWith([0xFC], bits: 7) { return "a unique-local address" }
        if startsWith([0x20, 0x01, 0x0D, 0xB8], bits: 32) || startsWith([0x3F, 0xFF, 0x00], bits: 20) { return "a documentation address" }
        // 2001::/23 holds Teredo (2001::/32), benchmarking and other protocol assignments.
        if startsWith([0x20, 0x01, 0x00], bits: 23) { return "a reserved address" }
        // Global unicast is 2000::/3; everything else (::/8 with IPv4-compatible addresses, 64:ff9b:1::/48,
        // 100::/64 discard, unassigned space) is not for us.
        if !startsWith([0x20], bits: 3) { return "a reserved address" }
        return nil
    }
}
