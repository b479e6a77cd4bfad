import Foundation
import Glibc

/// A TCP connection to a local server that speaks HTTP by hand, for clients no HTTP library plays: silent, slow,
/// or sending malformed requests. Blocking calls, each with a deadline.
package final class RawHTTPConnection: @unchecked Sendable {
    /// A response as read off the wire.
    package struct Response: Sendable {
        package var status: Int
        /// Header values by lowercased name (the last of repeated ones).
        package var headers: [String: String]
        package var body: [UInt8]
        package var object: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]) ?? [:] }
        package var error: String? { object["error"] as? String }
        package var text: String { String(decoding: body, as: UTF8.self) }
    }

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    /// True once the server closed the connection (or reset it).
    package private(set) var isClosed = false

    package init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw Failure(description: "cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // A server that stops reading fails a send after 10 s instead of blocking it forever.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends `bytes`; false when the server closed the connection first.
    @discardableResult
    package func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                isClosed = true
                return false
            }
            sent += n
        }
        return true
    }

    @discardableResult
    package func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads what arrives within `timeout` seconds into the buffer; false once the connection is closed.
    @discardableResult
    private func fill(timeout: TimeInterval) -> Bool {
        guard !isClosed else { return false }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(max(0, timeout * 1000))) > 0 else { return true }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = read(fd, &chunk, chunk.count)
        if n < 0, errno == EINTR { return true }
        guard n > 0 else {
            isClosed = true
            return false
        }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// Waits up to `timeout` seconds for the server to send something, reading nothing of it (an answer that has begun,
    /// left unread); true when it did.
    package func waitForData(timeout: TimeInterval) -> Bool {
        guard buffer.isEmpty else { return true }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, Int32(max(0, timeout * 1000))) > 0 && descriptor.revents & Int16(POLLIN) != 0
    }

    /// Waits up to `timeout` seconds for the server to close the connection, discarding what it sends; true when
    /// it did.
    package func waitForClose(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !isClosed, Date() < deadline {
            fill(timeout: min(0.2, deadline.timeIntervalSinceNow))
            if buffer.count > 1 << 20 { buffer.removeAll() }
        }
        return isClosed
    }

    /// Reads one final response (interim 1xx ones are skipped; a body by `Content-Length`, or chunked, unless it
    /// answers a HEAD request: `toHead`); nil when the connection closed or nothing whole came within `timeout` seconds.
    package func readResponse(timeout: TimeInterval = 10, toHead: Bool = false) -> Response? {
        while let response = readOneResponse(timeout: timeout, toHead: toHead) {
            if !(100..<200).contains(response.status) { return response }
        }
        return nil
    }

    private func readOneResponse(timeout: TimeInterval, toHead: Bool) -> Response? {
        let deadline = Date().addingTimeInterval(timeout)
        func need(_ ready: () -> Bool) -> Bool {
            while !ready() {
                guard Date() < deadline, fill(timeout: min(0.2, deadline.timeIntervalSinceNow)) || ready() else { return ready() }
            }
            return true
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        guard
            need({
                headEnd = buffer.indices.dropLast(3).first { buffer[$0..<$0 + 4].elementsEqual(separator) }
                return headEnd != nil
            }), let headEnd
        else { return nil }
        let lines = String(decoding: buffer[0..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        buffer.removeFirst(headEnd + 4)
        var body: [UInt8] = []
        if toHead {
            // No body, whatever the headers say of the GET's.
        } else if let length = headers["content-length"].flatMap(Int.init) {
            guard need({ buffer.count >= length }) else { return nil }
            body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
            while true {
                var lineEnd: Int?
                guard
                    need({
                        lineEnd = buffer.indices.dropLast().first { buffer[$0] == 13 && buffer[$0 + 1] == 10 }
                        return lineEnd != nil
                    }), let lineEnd, let size = Int(String(decoding: buffer[0..<lineEnd], as: UTF8.self), radix: 16)
                else { return nil }
                guard need({ buffer.count >= lineEnd + 2 + size + 2 }) else { return nil }
                body += buffer[(lineEnd + 2)..<(lineEnd + 2 + size)]
                buffer.removeFirst(lineEnd + 2 + size + 2)
                if size == 0 { break }
            }
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// Sends `request` on a new connection and reads one response; nil when the server closed the connection
    /// without one.
    package static func exchange(port: Int, _ request: [UInt8], timeout: TimeInterval = 10) throws -> Response? {
        let connection = try RawHTTPConnection(port: port)
        connection.send(request)
        return connection.readResponse(timeout: timeout)
    }
}

/// Runs blocking work (a raw socket's reads) on a thread of its own, so Swift's few cooperative threads stay free
/// for the tests running beside it.
package func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
