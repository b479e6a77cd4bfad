import Foundation
import Synchronization

/// A TCP proxy on 127.0.0.1 in front of a local server that can blackhole its links, as a partition or a failover does.
///
/// ``blackhole()`` stops forwarding in both directions but keeps every socket open (and accepts new connections, which
/// forward nothing either): neither side sees an error, only silence. ``restore()`` forwards again, the data held back
/// included. Each link is served by a thread of its own; ``stop()`` closes everything.
package final class BlackholeProxy: Sendable {
    /// The port clients connect to.
    package let port: Int
    private let upstreamPort: Int
    private let blackholed = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    /// Counts ``cut()``s: a link serves while it is the count it started with.
    private let cuts = Atomic<Int>(0)
    /// The links open, by the count of cuts they started with.
    private let links = Mutex<[Int: Int]>([:])

    /// Listens on a free port of 127.0.0.1 and forwards to `upstreamPort` on 127.0.0.1.
    package init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ProxyError("socket failed: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw ProxyError("bind or listen failed: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in self.acceptLoop(fd) }
        thread.name = "blackhole-proxy"
        thread.start()
    }

    /// A proxy in front of the server a libpq `key=value` conninfo names (its last `port=`).
    package convenience init(conninfo: String) throws {
        let ports = conninfo.split(separator: " ").compactMap { $0.hasPrefix("port=") ? Int($0.dropFirst(5)) : nil }
        guard let upstream = ports.last else { throw ProxyError("no port= in \(conninfo)") }
        try self.init(upstreamPort: upstream)
    }

    /// `conninfo` (key=value) pointed at the proxy instead.
    package func conninfo(through conninfo: String) -> String {
        conninfo + " host=127.0.0.1 port=\(port)"
    }

    /// Stops forwarding both ways; every socket stays open.
    package func blackhole() { blackholed.store(true, ordering: .relaxed) }

    /// Forwards again, on the links kept open and on new ones.
    package func restore() { blackholed.store(false, ordering: .relaxed) }

    /// Closes every link open now, as a server or a network that drops connections does, and returns once they are
    /// closed (a tenth of a second, or at most 5 s): a ``restore()`` after it forwards nothing on them. New links are
    /// served.
    package func cut() {
        let cut = links.withLock { _ in cuts.add(1, ordering: .relaxed).oldValue }
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, links.withLock({ $0.contains { $0.key <= cut && $0.value > 0 } }) { usleep(10_000) }
    }

    /// Closes the listening socket and every link (within a tenth of a second).
    package func stop() { stopped.store(true, ordering: .relaxed) }

    private var isStopped: Bool { stopped.load(ordering: .relaxed) }

    private func acceptLoop(_ listener: Int32) {
        defer { close(listener) }
        while !isStopped {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 100) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let thread = Thread { [self] in self.serve(client) }
            thread.name = "blackhole-proxy-link"
            thread.start()
        }
    }

    /// Connects to the server and copies bytes both ways, holding them back while blackholed.
    private func serve(_ client: Int32) {
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var registered: Int?
        defer {
            close(client)
            if upstream >= 0 { close(upstream) }
            if let registered { links.withLock { $0[registered, default: 0] -= 1 } }
        }
        guard upstream >= 0 else { return }
        var address = Self.loopback(port: upstreamPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let generation = links.withLock {
            let generation = cuts.load(ordering: .relaxed)
            $0[generation, default: 0] += 1
            return generation
        }
        registered = generation
        while !isStopped, cuts.load(ordering: .relaxed) == generation {
            if blackholed.load(ordering: .relaxed) {
                usleep(50_000)
                continue
            }
            var descriptors = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: upstream, events: Int16(POLLIN), revents: 0)]
            guard poll(&descriptors, 2, 100) > 0 else { continue }
            // Checked again: a blackhole that began during the wait forwards nothing more.
            if blackholed.load(ordering: .relaxed) { continue }
            for (index, (from, to)) in [(client, upstream), (upstream, client)].enumerated() where descriptors[index].revents != 0 {
                let count = read(from, &buffer, buffer.count)
                guard count > 0, Self.writeAll(to, buffer, count) else { return }
            }
        }
    }

    private static func writeAll(_ fd: Int32, _ buffer: [UInt8], _ count: Int) -> Bool {
        var written = 0
        while written < count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + written, count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            written += n
        }
        return true
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

/// A proxy that could not start.
package struct ProxyError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
