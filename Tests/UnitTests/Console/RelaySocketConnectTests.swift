import Foundation
import Glibc
import RelayClient
import TestSupport
import Testing

/// msgctl's socket to the relay tries every address its name resolves to, in order, until one accepts.
@Suite struct RelaySocketConnectTests {
    /// A socket listening on 127.0.0.1 and its port.
    func listener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 4) == 0 else { throw TestFailure("cannot listen") }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    func resolve(_ port: Int) throws -> UnsafeMutablePointer<addrinfo> {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo("127.0.0.1", String(port), &hints, &info) == 0, let info else { throw TestFailure("cannot resolve") }
        return info
    }

    @Test func theAddressAfterOneThatRefusesIsTried() throws {
        let open = try listener()
        defer { close(open.fd) }
        // A port nobody listens on: bound, then closed.
        let gone = try listener()
        close(gone.fd)
        let first = try resolve(gone.port)
        let second = try resolve(open.port)
        first.pointee.ai_next = second
        defer {
            first.pointee.ai_next = nil
            freeaddrinfo(first)
            freeaddrinfo(second)
        }
        let fd = try RelaySocket.connect(to: first, timeout: 5, naming: "both")
        defer { close(fd) }
        var peer = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) } }
        #expect(Int(UInt16(bigEndian: peer.sin_port)) == open.port)
        // Only refusals: the last one's reason, naming what was asked for.
        first.pointee.ai_next = nil
        #expect(throws: RelaySocket.Failure.self) { try RelaySocket.connect(to: first, timeout: 5, naming: "nowhere") }
    }
}
