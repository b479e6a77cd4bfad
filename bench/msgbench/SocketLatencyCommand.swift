import ArgumentParser
import Foundation
import Histogram
import MsgLib
import RelayClient
import Synchronization

/// Users send over their sockets; one admin socket receives. Latency is from the send to the admin's socket.
/// With `--rate`, sends are paced (open loop, from each message's intended time); without, each user socket
/// sends its next message as soon as the admin has received its previous one (closed loop end to end: the
/// maximum sustained rate of delivery), or with `--until acknowledged` as soon as its own socket has the message
/// back, which the relay sends once it is committed (durable sends, as pgbench waits for its commit); the admin's
/// socket must still receive every message.
struct SocketLatencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ws-latency", abstract: "Delivery latency user -> admin socket, and throughput.")

    @OptionGroup var options: BenchOptions
    @Option(help: "User sockets sending.") var senders = 16
    @Option(help: "Seconds to run.") var duration = 10.0
    @Option(help: "Messages per second in total; 0 for as fast as delivered.") var rate = 0.0
    @Option(help: "Sockets (users) each sender takes turns on, so that no user exceeds a rate limit.") var socketsPerSender = 1
    @Option(help: "Port of the relay the admin socket connects to (default: --port, the senders' relay).") var adminPort: Int?
    @Option(help: "Without --rate, what a sender waits for before its next message: delivered (to the admin) or acknowledged.")
    var until: Until = .delivered

    enum Until: String, ExpressibleByArgument {
        case delivered, acknowledged
    }

    func run() async throws {
        raiseFileLimit()
        let signer = options.signer
        let conninfo = options.conninfo
        let targets = try BenchTarget.load(conninfo)
        let users = senders * socketsPerSender
        guard targets.count >= users else { throw BenchError("need \(users) bench users: run msgbench setup --users \(users)") }
        let admin = try PostgresConnection.benchAdmin(conninfo)
        let adminSocket = try RelaySocket(port: adminPort ?? options.port, path: "/ws/messages?token=\(signer.token(for: admin, ttl: 3600))")
        let userSockets = try targets.prefix(users).map {
            try RelaySocket(port: options.port, path: "/ws/messages?token=\(signer.token(for: $0.userId, ttl: 3600))")
        }
        // Sender i takes turns on sockets i, i + senders, i + 2 * senders, ...
        let sockets = (0..<senders).map { i in stride(from: i, to: users, by: senders).map { userSockets[$0] } }
        // Steady state only: every socket has replayed what it had unread when its pong comes (frames are answered in
        // order, after the replay).
        for socket in [adminSocket] + userSockets { try Self.waitForPong(socket) }

        let sentAt = Mutex<[String: UInt64]>([:])
        let deliveredTo = (0..<senders).map { _ in DispatchSemaphore(value: 0) }
        let received = Mutex((histogram: Report.histogram(), count: 0))
        let start = nowNanoseconds()
        let end = start + UInt64(duration * 1e9)
        let stop = Atomic<Bool>(false)
        let acknowledged = Atomic<Int>(0)
        let refused = Atomic<Int>(0)

        // The admin's socket: every message frame is a delivery.
        let adminDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            while !stop.load(ordering: .relaxed) {
                guard let frame = try? adminSocket.readFrame() else { break }
                let now = nowNanoseconds()
                guard let tag = Self.tag(frame) else { continue }
                if let sent = sentAt.withLock({ $0.removeValue(forKey: tag) }) {
                    received.withLock {
                        _ = $0.histogram.record(now - sent)
                        $0.count += 1
                    }
                    if let sender = Int(tag.dropFirst().split(separator: "-").first ?? "") { deliveredTo[sender].signal() }
                }
            }
            adminDone.signal()
        }

        let group = DispatchGroup()
        let interval = rate > 0 ? UInt64(1e9 / (rate / Double(senders))) : 0
        for (index, turns) in sockets.enumerated() {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var sequence = 0
                var intended = start + UInt64(index) * (interval / UInt64(max(senders, 1)))
                while true {
                    let now = nowNanoseconds()
                    if interval > 0, intended > now { usleep(UInt32((intended - now) / 1000)) }
                    if interval == 0 { intended = nowNanoseconds() }
                    if intended >= end { break }
                    let tag = "b\(index)-\(sequence)"
                    let socket = turns[sequence % turns.count]
                    sequence += 1
                    sentAt.withLock { $0[tag] = intended }
                    do {
                        try socket.send(ClientFrame.sendMessage(conversationId: nil, content: "\(tag) benchmark message body").json)
                        // Drain the echo on this socket (its own message frame).
                        repeat {
                            let frame = try socket.readFrame()
                            if Self.tag(frame) == tag {
                                acknowledged.add(1, ordering: .relaxed)
                                break
                            }
                            if frame.isText, frame.payload.offset(of: Self.errorType) != nil,
                                case .error(let code, let message, _, _) = try? ServerFrame(json: frame.payload)
                            {
                                throw BenchError("\(code): \(message)")
                            }
                        } while true
                        // Closed loop: the next message leaves once the admin has this one.
                        if interval == 0, until == .delivered, deliveredTo[index].wait(timeout: .now() + 10) == .timedOut {
                            throw BenchError("not delivered in 10 s")
                        }
                    } catch {
                        // Refused (or failed): not sent, so not lost either.
                        if sentAt.withLock({ $0.removeValue(forKey: tag) }) != nil { refused.add(1, ordering: .relaxed) }
                        FileHandle.standardError.write(Data("sender \(index): \(error)\n".utf8))
                        return
                    }
                    if interval > 0 { intended += interval }
                }
            }
        }
        group.wait()
        // Let the last deliveries arrive.
        let deadline = nowNanoseconds() + 2_000_000_000
        while sentAt.withLock({ !$0.isEmpty }), nowNanoseconds() < deadline { usleep(10_000) }
        let elapsed = Double(nowNanoseconds() - start) / 1e9 - 0
        stop.store(true, ordering: .relaxed)
        try? adminSocket.sendClose()
        let (histogram, count) = received.withLock { ($0.histogram, $0.count) }
        let lost = sentAt.withLock { $0.count }
        var figures = Report.latency(histogram)
        figures["delivered"] = Double(count)
        figures["lost"] = Double(lost)
        figures["messages_per_second"] = Double(count) / min(elapsed, duration)
        figures["target_rate"] = rate
        figures["senders"] = Double(senders)
        figures["acknowledged"] = Double(acknowledged.load(ordering: .relaxed))
        figures["refused"] = Double(refused.load(ordering: .relaxed))
        Report.print(figures, json: options.json)
    }

    /// Sends a ping and reads frames until its pong.
    static func waitForPong(_ socket: RelaySocket) throws {
        try socket.send(ClientFrame.ping.json)
        while true {
            let frame = try socket.readFrame()
            if frame.isText, case .pong = try? ServerFrame(json: frame.payload) { return }
        }
    }

    /// The benchmark tag at the start of a `message` frame's content ("b<sender>-<sequence>").
    ///
    /// Read off the bytes, not decoded: the load generator shares the two cores with the relay and PostgreSQL, and
    /// decoding every frame with `JSONDecoder` cost it a quarter of a core at 4,000 messages a second (pgbench: a tenth).
    static func tag(_ frame: RelaySocket.Frame) -> String? {
        guard frame.isText, frame.payload.offset(of: messageType) != nil, let start = frame.payload.offset(of: contentKey) else { return nil }
        let tag = frame.payload[(start + contentKey.count)...].prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\"") }
        return tag.first == UInt8(ascii: "b") ? String(decoding: tag, as: UTF8.self) : nil
    }

    private static let messageType = Array(#""type":"message""#.utf8)
    private static let contentKey = Array(#""content":""#.utf8)
    private static let errorType = Array(#""type":"error""#.utf8)
}

extension PostgresConnection {
    /// The bench admin's id.
    static func benchAdmin(_ conninfo: String) throws -> UUID {
        let db = PostgresConnection(conninfo: conninfo)
        try db.connect()
        guard let admin = try UserRepository.find(db, username: "benchadmin") else { throw BenchError("run msgbench setup first") }
        return admin.id
    }
}
