import Foundation
import Glibc
import MsgLib

/// A small blocking WebSocket client for msgrelay (ws:// only): the handshake, masked text frames out, frames in.
///
/// Made for programs that drive their own loop (msgctl's REPL polls `fileDescriptor` beside the terminal;
/// msgbench holds thousands in one poll set). Pings from the server are answered inside ``readFrame()``.
package final class RelaySocket: @unchecked Sendable {
    /// A received frame.
    package struct Frame: Sendable {
        package var opcode: UInt8
        package var payload: [UInt8]
        package var isText: Bool { opcode == 1 }
        package var isClose: Bool { opcode == 8 }
        package var text: String { String(decoding: payload, as: UTF8.self) }
        /// The close code of a close frame.
        package var closeCode: Int? { isClose && payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil }
    }

    /// Why a connection failed.
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
        /// The HTTP status when the server answered the upgrade with something else than 101.
        package let status: Int?
        init(_ description: String, status: Int? = nil) {
            self.description = description
            self.status = status
        }
    }

    package let fileDescriptor: Int32
    private var buffer: [UInt8] = []

    /// Connects to `host:port` and upgrades `path` (which may carry `?token=`), sending `headers` with the request
    /// (`Authorization: Bearer` keeps a token out of the URL, which proxies log).
    /// - Parameters:
    ///   - receiveBuffer: a small SO_RCVBUF, to play a client that reads slowly.
    ///   - timeout: for connecting and the handshake.
    package init(
        host: String = "127.0.0.1", port: Int, path: String, headers: [String: String] = [:], receiveBuffer: Int32? = nil, timeout: TimeInterval = 10
    )
        throws
    {
        func breaksLine(_ text: String) -> Bool { text.unicodeScalars.contains { $0 == "\r" || $0 == "\n" } }
        guard !breaksLine(path), !headers.contains(where: { breaksLine($0.key) || breaksLine($0.value) }) else {
            throw Failure("a line break in the request's path or headers")
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let addresses = info else { throw Failure("cannot resolve \(host)") }
        defer { freeaddrinfo(info) }
        let fd = try Self.connect(to: addresses, receiveBuffer: receiveBuffer, timeout: timeout, naming: "\(host):\(port)")
        fileDescriptor = fd
        let key = Base64URL.standard(LibCrypto.randomBytes(16))
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try writeAll(Array((request + "\r\n").utf8))
        let head = try readHead()
        let lines = head.split(separator: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        // The descriptor is closed by deinit, which runs when an initializer that set every property throws.
        guard status == 101 else {
            throw Failure("the relay refused the WebSocket (HTTP \(status))", status: status)
        }
        let expected = Base64URL.standard(LibCrypto.sha1(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)))
        let accept = lines.first { $0.lowercased().hasPrefix("sec-websocket-accept:") }?.split(separator: ":", maxSplits: 1).last
        guard accept?.trimmingCharacters(in: .whitespaces) == expected else {
            throw Failure("the relay answered the handshake wrongly")
        }
        // Reads after the handshake block until data arrives; callers poll the descriptor first.
        var never = timeval(tv_sec: 0, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &never, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fileDescriptor) }

    /// A socket connected to the first of `addresses` (a `getaddrinfo` list) that accepts, trying each in turn (a name
    /// may resolve to `::1` before `127.0.0.1`, say, with the server on the second only).
    package static func connect(
        to addresses: UnsafeMutablePointer<addrinfo>, receiveBuffer: Int32? = nil, timeout: TimeInterval, naming name: String
    ) throws -> Int32 {
        var failure = "no address"
        var next: UnsafeMutablePointer<addrinfo>? = addresses
        while let address = next {
            next = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            guard fd >= 0 else {
                failure = "cannot create a socket"
                continue
            }
            if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return fd }
            failure = String(cString: strerror(errno))
            close(fd)
        }
        throw Failure("cannot connect to \(name): \(failure)")
    }

    /// Ends the sending side without a close frame, as a client that vanished does (the server sees end of input).
    package func shutdownSending() {
        shutdown(fileDescriptor, Int32(SHUT_WR))
    }

    /// Sends a text frame.
    package func send(_ text: String) throws { try sendFrame(opcode: 1, Array(text.utf8)) }

    /// Sends a close frame.
    package func sendClose(code: UInt16 = 1000) throws { try sendFrame(opcode: 8, [UInt8(code >> 8), UInt8(code & 0xff)]) }

    /// Sends a frame, masked as clients must.
    package func sendFrame(opcode: UInt8, _ payload: [UInt8]) throws { try writeAll(Self.frame(opcode: opcode, payload)) }

    /// Sends frames in one write, so that the server reads them together.
    package func sendFrames(_ frames: [(opcode: UInt8, payload: [UInt8])]) throws {
        try writeAll(frames.flatMap { Self.frame(opcode: $0.opcode, $0.payload) })
    }

    /// A whole masked frame.
    static func frame(opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65536 {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        } else {
            frame.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xff)) }
        }
        let mask = LibCrypto.randomBytes(4)
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
        return frame
    }

    /// True when a whole frame (or one that cannot be read: ``readFrame()`` then throws) is already buffered (poll
    /// would not show it).
    package var hasBufferedFrame: Bool { Self.holdsFrame(buffer) }

    /// Whether `buffer` starts with a whole frame, or with one that cannot be read (``parse(_:)`` throws).
    static func holdsFrame(_ buffer: [UInt8]) -> Bool {
        do {
            return try parse(buffer) != nil
        } catch {
            return true
        }
    }

    /// The next data or close frame, blocking until one arrives; pings are answered on the way.
    /// - Throws: ``Failure`` when the connection ends.
    package func readFrame() throws -> Frame {
        while true {
            if let (frame, used) = try Self.parse(buffer) {
                buffer.removeFirst(used)
                if frame.opcode == 9 {
                    try sendFrame(opcode: 10, frame.payload)
                    continue
                }
                if frame.opcode == 10 { continue }
                return frame
            }
            try fill()
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = read(fileDescriptor, &chunk, chunk.count)
        if n < 0, errno == EINTR { return }
        guard n > 0 else { throw Failure("the connection closed") }
        buffer.append(contentsOf: chunk[0..<n])
    }

    private func readHead() throws -> String {
        var head: [UInt8] = []
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            var byte: UInt8 = 0
            guard read(fileDescriptor, &byte, 1) == 1 else { throw Failure("the connection closed during the handshake") }
            head.append(byte)
            if head.count > 16384 { throw Failure("handshake response too large") }
        }
        return String(decoding: head, as: UTF8.self)
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            // send with MSG_NOSIGNAL: a peer that closed first is an error here, not a SIGPIPE for the process.
            let n = bytes.withUnsafeBytes { Glibc.send(fileDescriptor, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw Failure("the connection closed while sending") }
            sent += n
        }
    }

    /// The largest frame taken from the relay: far above any it sends (a message frame is tens of KiB at most).
    static let maximumPayload = 16 << 20

    /// The first frame in `b` and the bytes it takes; nil until it has arrived whole.
    /// - Throws: ``Failure`` for a frame no relay sends: masked, or longer than ``maximumPayload`` (a length that would
    ///   overflow, or buffer without end).
    static func parse(_ b: [UInt8]) throws -> (Frame, Int)? {
        guard b.count >= 2 else { return nil }
        guard b[1] & 0x80 == 0 else { throw Failure("a masked frame from the relay") }
        var length = Int(b[1] & 0x7f)
        var offset = 2
        if length == 126 {
            guard b.count >= 4 else { return nil }
            length = Int(b[2]) << 8 | Int(b[3])
            offset = 4
        } else if length == 127 {
            guard b.count >= 10 else { return nil }
            let declared = b[2..<10].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard declared <= UInt64(maximumPayload) else { throw Failure("a frame of \(declared) bytes from the relay") }
            length = Int(declared)
            offset = 10
        }
        guard b.count >= offset + length else { return nil }
        return (Frame(opcode: b[0] & 0x0f, payload: Array(b[offset..<offset + length])), offset + length)
    }
}
