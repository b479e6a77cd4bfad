import Foundation
import Synchronization

/// A minimal WebSocket client over a blocking socket, for tests: handshake, masked text frames out, frames in
/// on a reader thread. It can also stop reading on purpose (a slow client).
final class TestSocket: Sendable {
    struct Frame: Sendable {
        var opcode: UInt8
        var payload: [UInt8]
        var text: String { String(decoding: payload, as: UTF8.self) }
        var object: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any]) ?? [:] }
        var type: String? { object["type"] as? String }
        var data: [String: Any] { object["data"] as? [String: Any] ?? [:] }
        /// The close code of a close frame.
        var closeCode: Int? { opcode == 8 && payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil }
    }

    /// The HTTP status line and headers when the upgrade was refused, with the body.
    struct Refused: Error {
        var status: Int
        var body: String
    }

    let fd: Int32
    private let frames = Mutex<[Frame]>([])
    private let ended = Atomic<Bool>(false)
    private let paused = Atomic<Bool>(false)

    /// Connects and upgrades; `readBuffer` shrinks the receive buffer (a slow client).
    init(port: Int, path: String, headers: [String: String] = [:], readBuffer: Int32? = nil, startReading: Bool = true) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = readBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw TestFailure("cannot connect to port \(port)") }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (key, value) in headers { request += "\(key): \(value)\r\n" }
        request += "\r\n"
        try writeAll(Array(request.utf8))
        // Read the response head byte by byte, so no frame bytes are consumed here.
        var head = [UInt8]()
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { throw TestFailure("connection closed during the handshake") }
            head.append(byte)
        }
        let text = String(decoding: head, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        guard status == 101 else {
            var body = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &body, body.count)
            close(fd)
            throw Refused(status: status, body: n > 0 ? String(decoding: body[0..<n], as: UTF8.self) : "")
        }
        if !startReading { paused.store(true, ordering: .relaxed) }
        Thread.detachNewThread { [self] in self.readLoop() }
    }

    deinit { close(fd) }

    /// Sends a text frame (JSON for a dictionary).
    func send(_ object: [String: Any]) throws {
        try sendText(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    func sendText(_ text: String) throws { try sendFrame(opcode: 1, Array(text.utf8)) }

    /// Sends a close frame with `code`.
    func sendClose(_ code: UInt16 = 1000) throws { try sendFrame(opcode: 8, [UInt8(code >> 8), UInt8(code & 0xff)]) }

    func sendFrame(opcode: UInt8, _ payload: [UInt8]) throws {
        var frame: [UInt8] = [0x80 | opcode]
        let mask: [UInt8] = [1, 2, 3, 4]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65536 {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xff)) }
        }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try writeAll(frame)
    }

    /// Frames received so far (text, close...).
    var received: [Frame] { frames.withLock { $0 } }
    /// True once the server closed the TCP connection.
    var isClosed: Bool { ended.load(ordering: .relaxed) }

    /// Starts reading after a pause.
    func resumeReading() { paused.store(false, ordering: .relaxed) }

    /// Waits for the first frame, after those already taken, that matches `predicate`, and returns it.
    func next(timeout: TimeInterval = 10, where predicate: @escaping (Frame) -> Bool = { _ in true }) async throws -> Frame {
        var found: Frame?
        try await waitFor("a frame; got \(received.map(\.text))", timeout: timeout) {
            found = self.frames.withLock { frames in
                guard let index = frames.firstIndex(where: predicate) else { return nil }
                return frames.remove(at: index)
            }
            return found != nil
        }
        return found!
    }

    /// The next frame of `type`.
    func next(type: String, timeout: TimeInterval = 10) async throws -> Frame {
        try await next(timeout: timeout) { $0.type == type }
    }

    /// Frames of `type` received so far, without taking them.
    func all(type: String) -> [Frame] { received.filter { $0.type == type } }

    private func writeAll(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            guard n > 0 else { throw TestFailure("write failed") }
            sent += n
        }
    }

    private func readLoop() {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            while paused.load(ordering: .relaxed) { usleep(10_000) }
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            buffer += chunk[0..<n]
            while let (frame, used) = Self.parse(buffer) {
                buffer.removeFirst(used)
                frames.withLock { $0.append(frame) }
            }
        }
        ended.store(true, ordering: .relaxed)
    }

    private static func parse(_ b: [UInt8]) -> (Frame, Int)? {
        guard b.count >= 2 else { return nil }
        var length = Int(b[1] & 0x7f)
        var offset = 2
        if length == 126 {
            guard b.count >= 4 else { return nil }
            length = Int(b[2]) << 8 | Int(b[3])
            offset = 4
        } else if length == 127 {
            guard b.count >= 10 else { return nil }
            length = b[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        guard b.count >= offset + length else { return nil }
        return (Frame(opcode: b[0] & 0x0f, payload: Array(b[offset..<offset + length])), offset + length)
    }
}
