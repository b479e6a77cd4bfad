import Foundation
import Glibc

/// A blocking HTTP/1.1 keep-alive connection to 127.0.0.1, for load generation from a thread of its own.
final class HTTPConnection {
    private let fd: Int32
    private var buffer = [UInt8]()
    /// The body of the last response.
    private(set) var lastBody = [UInt8]()

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw BenchError("cannot connect to 127.0.0.1:\(port)")
        }
        // A relay that stopped answering (SIGKILL mid-request) must not hang a load thread for ever.
        var tv = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// The bytes of `POST /api/messages` sending `content` to `conversation` with `token`.
    static func postMessage(token: String, conversation: UUID, content: String) -> [UInt8] {
        let body = #"{"conversation_id":"\#(conversation.lowercasedString)","content":"\#(content)"}"#
        let head =
            "POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        return Array((head + body).utf8)
    }

    /// The body of `GET path` on a new connection, or nil unless it answered 200.
    static func get(port: Int, path: String) -> String? {
        guard let connection = try? HTTPConnection(port: port),
            (try? connection.send(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))) == 200
        else { return nil }
        return String(decoding: connection.lastBody, as: UTF8.self)
    }

    /// Sends one request and returns the response status (reads the whole body).
    func send(_ request: [UInt8]) throws -> Int {
        var sent = 0
        while sent < request.count {
            let n = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw BenchError("write failed") }
            sent += n
        }
        return try readResponse()
    }

    private func readResponse() throws -> Int {
        var headerEnd: Int?
        while headerEnd == nil {
            try fill()
            headerEnd = buffer.offset(of: [13, 10, 13, 10])
        }
        let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var length = 0
        for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
        let total = headerEnd! + 4 + length
        while buffer.count < total { try fill() }
        lastBody = Array(buffer[(headerEnd! + 4)..<total])
        buffer.removeFirst(total)
        return status
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16384)
        let n = read(fd, &chunk, chunk.count)
        guard n > 0 else { throw BenchError("connection closed") }
        buffer.append(contentsOf: chunk[0..<n])
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
