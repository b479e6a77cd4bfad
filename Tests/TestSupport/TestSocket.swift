import Foundation
import MsgLib
import RelayClient
import Synchronization

/// A WebSocket client for tests: MsgLib's ``RelaySocket`` with a reader thread that collects frames. It can
/// also stop reading on purpose, to play a slow client.
package final class TestSocket: Sendable {
    package typealias Frame = RelaySocket.Frame

    private let socket: RelaySocket
    private let frames = Mutex<[Frame]>([])
    private let ended = Atomic<Bool>(false)
    private let paused = Atomic<Bool>(false)

    /// Connects and upgrades; `readBuffer` shrinks the receive buffer, `startReading: false` reads nothing.
    package init(port: Int, path: String, headers: [String: String] = [:], readBuffer: Int32? = nil, startReading: Bool = true) throws {
        socket = try RelaySocket(port: port, path: path, headers: headers, receiveBuffer: readBuffer)
        paused.store(!startReading, ordering: .relaxed)
        Thread.detachNewThread { [self] in self.readLoop() }
    }

    /// Sends a text frame holding `object` as JSON.
    package func send(_ object: [String: Any]) throws {
        try socket.send(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    /// Sends `frame` as the protocol's JSON.
    package func send(_ frame: ClientFrame) throws { try socket.send(frame.json) }

    package func sendText(_ text: String) throws { try socket.send(text) }
    package func sendClose(_ code: UInt16 = 1000) throws { try socket.sendClose(code: code) }
    /// Sends a frame of any opcode with `payload` as it is (binary frames, text that is not UTF-8, odd close payloads).
    package func sendFrame(opcode: UInt8, _ payload: [UInt8]) throws { try socket.sendFrame(opcode: opcode, payload) }

    /// Sends frames in one write (the relay reads them together).
    package func sendFrames(_ frames: [(opcode: UInt8, payload: [UInt8])]) throws { try socket.sendFrames(frames) }
    /// Sends a protocol-level ping frame.
    package func sendPing(_ payload: [UInt8]) throws { try socket.sendFrame(opcode: 9, payload) }
    /// Stops sending without a close frame (the relay sees the end of the input).
    package func vanish() { socket.shutdownSending() }

    /// Starts (or resumes) reading from the relay.
    package func startReading() { paused.store(false, ordering: .relaxed) }

    /// Frames received so far and not yet taken.
    package var received: [Frame] { frames.withLock { $0 } }
    /// True once the connection ended.
    package var isClosed: Bool { ended.load(ordering: .relaxed) }

    /// Waits for the first frame, after those already taken, that matches `predicate`, and takes it.
    package func next(timeout: TimeInterval = 10, where predicate: @escaping (Frame) -> Bool = { _ in true }) async throws -> Frame {
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
    package func next(type: String, timeout: TimeInterval = 10) async throws -> Frame {
        try await next(timeout: timeout) { $0.type == type }
    }

    /// Frames of `type` received so far, without taking them.
    package func all(type: String) -> [Frame] { received.filter { $0.type == type } }

    private func readLoop() {
        while true {
            while paused.load(ordering: .relaxed) { usleep(10_000) }
            guard let frame = try? socket.readFrame() else { break }
            frames.withLock { $0.append(frame) }
        }
        ended.store(true, ordering: .relaxed)
    }
}

extension RelaySocket.Frame {
    package var object: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any]) ?? [:] }
    package var type: String? { object["type"] as? String }
    package var data: [String: Any] { object["data"] as? [String: Any] ?? [:] }
}
