import Foundation
import Glibc
import Synchronization

/// A small HTTP/1.1 server on 127.0.0.1 for tests (a mock push service, a mock Slack...): it records every
/// request and answers each as the test's closure decides, optionally after a delay.
///
///     let server = try RecordingHTTPServer()
///     defer { server.stop() }
///     server.respond { request in .init(status: 201, headers: [("Location", "/m/1")], text: "created") }
///     // ... make the code under test call server.url("/push/abc") ...
///     let requests = try await server.waitForRequests(count: 1)
///     #expect(requests[0].header("ttl") == "60")
///
/// Plain POSIX sockets: an accept thread and one thread per connection, so it never needs Swift's cooperative
/// pool (a test may block that pool while the server answers). Keep-alive and `Connection: close` both work;
/// request bodies may come with Content-Length or chunked. Without a responder every request gets a 200 with
/// an empty body.
package final class RecordingHTTPServer: Sendable {
    /// A request as received.
    package struct Request: Sendable {
        package var method: String
        /// The request target: path and query, e.g. "/push/abc?x=1".
        package var target: String
        package var headers: [(name: String, value: String)]
        package var body: [UInt8]
        /// Which connection it came on (0, 1, ... in the order they were accepted).
        package var connection: Int

        /// The target without its query.
        package var path: String { String(target.prefix { $0 != "?" }) }
        package var bodyText: String { String(decoding: body, as: UTF8.self) }

        /// The first header field called `name`, compared case-insensitively.
        package func header(_ name: String) -> String? {
            let wanted = name.lowercased()
            return headers.first { $0.name.lowercased() == wanted }?.value
        }
    }

    /// What to answer. A Content-Length is added unless given; `delay` waits before answering (on the
    /// connection's own thread); `closeConnection` adds `Connection: close` and closes after the response; `hangUp`
    /// closes the connection without answering (an answer lost on its way).
    package struct Response: Sendable {
        package var status: Int
        package var headers: [(name: String, value: String)]
        package var body: [UInt8]
        package var delay: Duration
        package var closeConnection: Bool
        package var hangUp = false

        package init(
            status: Int = 200, headers: [(name: String, value: String)] = [], body: [UInt8] = [], delay: Duration = .zero,
            closeConnection: Bool = false
        ) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
            self.closeConnection = closeConnection
        }

        package init(
            status: Int = 200, headers: [(name: String, value: String)] = [], text: String, delay: Duration = .zero, closeConnection: Bool = false
        ) {
            self.init(status: status, headers: headers, body: Array(text.utf8), delay: delay, closeConnection: closeConnection)
        }
    }

    /// Decides the response to each request; called on the connection's thread, possibly on several at once.
    package typealias Responder = @Sendable (Request) -> Response

    /// The port it listens on, on 127.0.0.1.
    package let port: Int
    private let state: State

    /// Starts listening on 127.0.0.1 on a free port.
    package init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        do {
            port = try Self.bindLoopback(fd)
            guard listen(fd, 128) == 0 else { throw TestFailure("listen: \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            throw error
        }
        let state = State(listener: fd)
        self.state = state
        Thread.detachNewThread { state.acceptLoop() }
    }

    deinit { stop() }

    /// "http://127.0.0.1:PORT" followed by `path`.
    package func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Sets how requests are answered from now on.
    package func respond(_ responder: @escaping Responder) {
        state.locked.withLock { $0.responder = responder }
    }

    /// Every request received so far, in order of arrival.
    package var requests: [Request] { state.locked.withLock { $0.requests } }

    /// How many connections were accepted so far.
    package var connectionCount: Int { state.locked.withLock { $0.connectionCount } }

    /// Waits (without blocking a thread) until at least `count` requests arrived.
    /// - Returns: all requests received by then.
    @discardableResult
    package func waitForRequests(count: Int, timeout: Duration = .seconds(10)) async throws -> [Request] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let received = requests
            if received.count >= count { return received }
            guard ContinuousClock.now < deadline else {
                throw TestFailure("waited \(timeout) for \(count) request(s), got \(received.count): \(received.map { "\($0.method) \($0.target)" })")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops accepting and closes every connection; idempotent. A response still being delayed is dropped.
    package func stop() {
        let connections = state.locked.withLock { s -> [Int32] in
            s.stopped = true
            return Array(s.open)
        }
        for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// A port on 127.0.0.1 that nothing listens on (it was free a moment ago): for "connection refused".
    package static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        return try bindLoopback(fd)
    }

    private static func bindLoopback(_ fd: Int32) throws -> Int {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestFailure("bind: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw TestFailure("getsockname: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

// MARK: - Threads

extension RecordingHTTPServer {
    /// What the threads share; the server object itself is not captured, so it can go away and stop them.
    fileprivate final class State: Sendable {
        struct Locked {
            package var requests: [Request] = []
            package var responder: Responder = { _ in Response() }
            package var open: Set<Int32> = []
            package var connectionCount = 0
            package var stopped = false
        }

        let listener: Int32
        let locked = Mutex(Locked())

        init(listener: Int32) { self.listener = listener }

        func acceptLoop() {
            defer { close(listener) }
            while !locked.withLock({ $0.stopped }) {
                var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 50) > 0 else { continue }
                let fd = accept(listener, nil, nil)
                guard fd >= 0 else { continue }
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                let number: Int? = locked.withLock { s in
                    guard !s.stopped else { return nil }
                    s.open.insert(fd)
                    defer { s.connectionCount += 1 }
                    return s.connectionCount
                }
                guard let number else {
                    close(fd)
                    break
                }
                Thread.detachNewThread { self.serve(fd, connection: number) }
            }
        }

        private func serve(_ fd: Int32, connection: Int) {
            defer {
                locked.withLock { _ = $0.open.remove(fd) }
                close(fd)
            }
            var reader = Reader(fd: fd)
            while let request = reader.readRequest(connection: connection) {
                let responder = locked.withLock { s in
                    s.requests.append(request)
                    return s.responder
                }
                let response = responder(request)
                if response.delay > .zero {
                    let (seconds, attoseconds) = response.delay.components
                    Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
                }
                if locked.withLock({ $0.stopped }) || response.hangUp { return }
                let closing = response.closeConnection || request.header("connection")?.lowercased() == "close"
                guard Self.write(response, to: fd, method: request.method, closing: closing), !closing else { return }
            }
        }

        private static func write(_ response: Response, to fd: Int32, method: String, closing: Bool) -> Bool {
            let bodyless = (100..<200).contains(response.status) || response.status == 204 || response.status == 304
            var head = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
            for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
            if !bodyless && !response.headers.contains(where: { $0.name.lowercased() == "content-length" }) {
                head += "Content-Length: \(response.body.count)\r\n"
            }
            if closing { head += "Connection: close\r\n" }
            head += "\r\n"
            var bytes = Array(head.utf8)
            if !bodyless && method != "HEAD" { bytes += response.body }
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                sent += n
            }
            return true
        }

        private static func reason(_ status: Int) -> String {
            switch status {
            case 200: "OK"
            case 201: "Created"
            case 202: "Accepted"
            case 204: "No Content"
            case 301: "Moved Permanently"
            case 302: "Found"
            case 400: "Bad Request"
            case 401: "Unauthorized"
            case 403: "Forbidden"
            case 404: "Not Found"
            case 410: "Gone"
            case 413: "Content Too Large"
            case 429: "Too Many Requests"
            case 500: "Internal Server Error"
            case 503: "Service Unavailable"
            default: "Status"
            }
        }
    }

    /// Buffered reading of HTTP/1.1 requests from one socket.
    fileprivate struct Reader {
        let fd: Int32
        private var buffer: [UInt8] = []

        init(fd: Int32) { self.fd = fd }

        /// The next request, or nil at end of stream or on a malformed one.
        mutating func readRequest(connection: Int) -> Request? {
            guard let requestLine = readLine() else { return nil }
            let parts = requestLine.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 3 else { return nil }
            var headers: [(name: String, value: String)] = []
            while true {
                guard let line = readLine() else { return nil }
                if line.isEmpty { break }
                guard let colon = line.firstIndex(of: ":") else { return nil }
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            var request = Request(method: String(parts[0]), target: String(parts[1]), headers: headers, body: [], connection: connection)
            if request.header("transfer-encoding")?.lowercased().contains("chunked") == true {
                while true {
                    guard let sizeLine = readLine(), let size = Int(sizeLine.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces), radix: 16),
                        size >= 0
                    else { return nil }
                    if size == 0 {
                        while let trailer = readLine(), !trailer.isEmpty {}
                        break
                    }
                    guard let chunk = read(count: size), readLine() != nil else { return nil }
                    request.body += chunk
                }
            } else if let length = request.header("content-length").flatMap({ Int($0) }), length > 0 {
                guard let body = read(count: length) else { return nil }
                request.body = body
            }
            return request
        }

        /// A line without its CRLF (or LF).
        private mutating func readLine() -> String? {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    var line = Array(buffer[..<newline])
                    buffer.removeSubrange(...newline)
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    return String(decoding: line, as: UTF8.self)
                }
                guard fill() else { return nil }
            }
        }

        private mutating func read(count: Int) -> [UInt8]? {
            while buffer.count < count {
                guard fill() else { return nil }
            }
            defer { buffer.removeFirst(count) }
            return Array(buffer[..<count])
        }

        private mutating func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return false }
            buffer += chunk[..<n]
            return true
        }
    }
}
