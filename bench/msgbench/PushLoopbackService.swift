import Foundation
import Glibc
import Synchronization

/// A minimal push service on 127.0.0.1 for the end-to-end benchmark: HTTP/1.1 with keep-alive, a thread per
/// connection, every `POST` answered `201 Created` at once. It keeps each request's arrival time, path and body
/// (decrypted only after the run, so the benchmark does not compete with the relay for the CPU meanwhile).
final class PushLoopbackService: Sendable {
    /// One request received.
    struct Arrival: Sendable {
        /// Monotonic nanoseconds when the last byte of the body was read.
        var at: UInt64
        var path: String
        var body: [UInt8]
        var vapid: Bool
    }

    struct Counts: Sendable {
        var connections = 0
        var requests = 0
        var malformed = 0
    }

    let port: Int
    private let listener: Int32
    private let arrivals = Mutex<[Arrival]>([])
    private let counts = Mutex(Counts())
    private let stopped = Atomic<Bool>(false)

    /// Listens on a free port of 127.0.0.1 and starts accepting.
    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound, listen(fd, 512) == 0 else {
            close(fd)
            throw BenchError("the loopback push service cannot listen")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        arrivals.withLock { $0.reserveCapacity(200_000) }
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "push-accept"
        thread.start()
    }

    /// Requests received so far.
    var requestCount: Int { counts.withLock { $0.requests } }
    var snapshot: Counts { counts.withLock { $0 } }
    /// Every request received, in arrival order.
    func takeArrivals() -> [Arrival] { arrivals.withLock { $0 } }

    /// Stops accepting; open connections are dropped when the process exits.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            counts.withLock { $0.connections += 1 }
            let thread = Thread { [self] in serve(fd) }
            thread.stackSize = 256 * 1024
            thread.start()
        }
    }

    private static let created = Array("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n".utf8)

    /// Reads requests until the peer closes; answers each with 201.
    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var buffer = [UInt8]()
        buffer.reserveCapacity(65536)
        var chunk = [UInt8](repeating: 0, count: 65536)
        var start = 0  // where the next request begins in buffer
        while true {
            // Parse every complete request in the buffer.
            while let request = Self.parse(buffer, from: start) {
                start = request.end
                let arrival = Arrival(at: nowNanoseconds(), path: request.path, body: request.body, vapid: request.vapid)
                let ok = Self.created.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) == $0.count }
                arrivals.withLock { $0.append(arrival) }
                counts.withLock {
                    $0.requests += 1
                    if !request.valid { $0.malformed += 1 }
                }
                if !ok { return }
            }
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// A complete request at `from`, or nil when more bytes are needed.
    private static func parse(_ buffer: [UInt8], from: Int) -> (end: Int, path: String, body: [UInt8], vapid: Bool, valid: Bool)? {
        guard buffer.count - from >= 4 else { return nil }
        var headerEnd = -1
        var i = from
        while i + 3 < buffer.count {
            if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 {
                headerEnd = i
                break
            }
            i += 1
        }
        guard headerEnd >= 0 else { return nil }
        let head = String(decoding: buffer[from..<headerEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        var length = 0
        var vapid = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { length = Int(value) ?? 0 }
            if name == "authorization" { vapid = value.hasPrefix("vapid t=") }
        }
        let end = headerEnd + 4 + length
        guard buffer.count >= end else { return nil }
        let valid = requestLine.count == 3 && requestLine[0] == "POST" && vapid && length > 0
        return (end, requestLine.count > 1 ? String(requestLine[1]) : "", Array(buffer[(headerEnd + 4)..<end]), vapid, valid)
    }
}
