import ArgumentParser
import Foundation
import MsgLib
import RelayClient
import Synchronization

/// The workload of `bench/chaos.sh`: users and the admin send over REST and hold sockets, each through any of several
/// relays, reconnecting to another one and resuming from their cursor whenever a socket fails, while the script breaks
/// relays and the database. At the end, once everything is up again, every client resumes one last time, and each
/// message stored is checked against what reached its two recipients (the user's client and the admin's): exactly once.
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos", abstract: "Send and resume through failing relays; count lost and duplicated.")

    @OptionGroup var options: BenchOptions
    @Option(help: "Relay ports on 127.0.0.1, comma-separated.") var ports: String
    @Option(help: "Users sending (bench users 1...n).") var users = 20
    @Option(help: "Seconds of sending.") var duration = 60.0
    @Option(help: "Messages per second per user; the admin replies at the same rate.") var rate = 1.0
    @Option(help: "Seconds to wait at the end for every client to catch up.") var settle = 60.0

    /// A flag threads share.
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set() { value.store(true, ordering: .relaxed) }
    }

    /// One logical client: whatever socket it holds now, its cursor, and every message id it received, counted.
    final class Client: @unchecked Sendable {
        let name: String
        let token: String
        let state = Mutex((cursor: String?.none, received: [String: Int](), reconnects: 0, replays: 0, socket: RelaySocket?.none))
        /// What happened on this client's sockets, printed when one of its messages is missing.
        let trace = Mutex([String]())
        func note(_ line: String) { trace.withLock { $0.append("\(Date().timeIntervalSince1970) \(line)") } }
        init(name: String, token: String) {
            self.name = name
            self.token = token
        }
    }

    func run() async throws {
        let portList = ports.split(separator: ",").compactMap { Int($0) }
        guard !portList.isEmpty else { throw BenchError("--ports must name at least one relay port") }
        let signer = options.signer
        let targets = Array(try BenchTarget.load(options.conninfo).prefix(users))
        guard targets.count == users else { throw BenchError("need \(users) bench users: run msgbench setup --users \(users)") }
        let adminId = try PostgresConnection.benchAdmin(options.conninfo)
        let database = PostgresConnection(conninfo: options.conninfo)
        try database.connect()

        let clients = targets.enumerated().map { Client(name: "user\($0.offset)", token: signer.token(for: $0.element.userId, ttl: 7200)) }
        let admin = Client(name: "admin", token: signer.token(for: adminId, ttl: 7200))
        let everyone = clients + [admin]
        let stop = Flag()
        let finished = Flag()
        let acked = Mutex([String]())
        let failures = Mutex([String: Int]())

        // Sockets: each client keeps one open, resuming from its cursor on every reconnect.
        let listeners = DispatchGroup()
        for client in everyone {
            listeners.enter()
            Thread.detachNewThread {
                defer { listeners.leave() }
                Self.listen(client, ports: portList, until: finished)
            }
        }
        // Every client first needs a cursor: a client without one gets only the unread messages when it connects (as
        // the protocol says), not its own earlier ones. Each user says hello, and the run counts what comes after.
        for (index, target) in targets.enumerated() {
            let request = HTTPConnection.postMessage(token: clients[index].token, conversation: target.conversationId, content: "hello")
            guard try HTTPConnection(port: portList[0]).send(request) == 201 else { throw BenchError("hello from user \(index) refused") }
        }
        let warmUp = Date().addingTimeInterval(30)
        while everyone.contains(where: { client in client.state.withLock { $0.cursor == nil } }) {
            guard Date() < warmUp else { throw BenchError("clients without a cursor after 30 s") }
            usleep(50_000)
        }
        let startedAt: Timestamp = try database.query("SELECT clock_timestamp()")[0].decode(0)
        database.close()

        // Senders: each user posts to their conversation, the admin replies to users in turn, through any relay.
        let senders = DispatchGroup()
        let start = Date()
        let writers = targets.indices.map { ($0, targets[$0]) } + [(users, BenchTarget(userId: adminId, conversationId: targets[0].conversationId))]
        for (index, target) in writers {
            senders.enter()
            let isAdmin = index == users
            let token = isAdmin ? admin.token : clients[index].token
            Thread.detachNewThread {
                defer { senders.leave() }
                var sequence = 0
                var connection: HTTPConnection?
                while !stop.isSet {
                    let due = start.addingTimeInterval(Double(sequence) / rate)
                    if due > Date() { usleep(UInt32(due.timeIntervalSinceNow * 1e6)) }
                    if Date().timeIntervalSince(start) >= duration { break }
                    let conversation = isAdmin ? targets[sequence % targets.count].conversationId : target.conversationId
                    let request = HTTPConnection.postMessage(token: token, conversation: conversation, content: "chaos \(index)-\(sequence)")
                    sequence += 1
                    do {
                        if connection == nil { connection = try HTTPConnection(port: portList.randomElement()!) }
                        let status = try connection!.send(request)
                        if status == 201, let object = try? JSONSerialization.jsonObject(with: Data(connection!.lastBody)) as? [String: Any],
                            let id = object["id"] as? String
                        {
                            acked.withLock { $0.append(id) }
                        } else {
                            failures.withLock { $0["http \(status)", default: 0] += 1 }
                            if status >= 500 { connection = nil }
                        }
                    } catch {
                        // No answer: the message may or may not be stored; what is stored is checked all the same.
                        failures.withLock { $0["no answer", default: 0] += 1 }
                        connection = nil
                    }
                }
            }
        }
        senders.wait()
        stop.set()

        // The end: every client resumes once more, then waits until it has every message stored for it.
        FileHandle.standardError.write(Data("sending done after \(Int(Date().timeIntervalSince(start))) s; settling\n".utf8))
        for client in everyone {
            if let socket = client.state.withLock({ $0.socket }) { shutdown(socket.fileDescriptor, Int32(SHUT_RDWR)) }
        }
        let check = PostgresConnection(conninfo: options.conninfo)
        var stored: [(id: String, userIndex: Int)] = []
        let deadline = Date().addingTimeInterval(settle)
        var complete = false
        var connected = false
        while Date() < deadline {
            do {
                if !connected {
                    try check.connect()
                    connected = true
                }
                let rows = try check.query(
                    "SELECT m.id::text, t.n - 1 FROM messages m JOIN bench_targets t ON t.conversation_id = m.conversation_id"
                        + " WHERE m.created_at >= $1 AND t.n <= $2 AND m.deleted_at IS NULL", [startedAt, users])
                stored = try rows.map { (try $0.decode(0, as: String.self), try $0.decode(1, as: Int.self)) }
                complete = stored.allSatisfy { item in
                    clients[item.userIndex].state.withLock { $0.received[item.id] != nil } && admin.state.withLock { $0.received[item.id] != nil }
                }
                if complete { break }
            } catch {
                check.close()
                connected = false
            }
            usleep(500_000)
        }
        // A moment for duplicates to show, if any would.
        usleep(2_000_000)
        finished.set()
        for client in everyone {
            if let socket = client.state.withLock({ $0.socket }) { shutdown(socket.fileDescriptor, Int32(SHUT_RDWR)) }
        }
        listeners.wait()

        let storedIds = Set(stored.map(\.id))
        let ackedIds = acked.withLock { $0 }
        var lost = 0
        var duplicated = 0
        var traced = Set<String>()
        for item in stored {
            for client in [clients[item.userIndex], admin] {
                let count = client.state.withLock { $0.received[item.id] ?? 0 }
                if count == 0 {
                    lost += 1
                    FileHandle.standardError.write(Data("lost: \(item.id) at \(client.name)\n".utf8))
                    if traced.insert(client.name).inserted {
                        let lines = client.trace.withLock { $0 }
                        FileHandle.standardError.write(Data(lines.map { "trace \(client.name): \($0)\n" }.joined().utf8))
                    }
                }
                if count > 1 {
                    duplicated += count - 1
                    FileHandle.standardError.write(Data("duplicated \(count) times: \(item.id) at \(client.name)\n".utf8))
                }
            }
        }
        let figures: [String: Any] = [
            "seconds": Int(Date().timeIntervalSince(start)),
            "acknowledged": ackedIds.count,
            "acknowledged_not_stored": ackedIds.filter { !storedIds.contains($0) }.count,
            "acknowledged_twice": ackedIds.count - Set(ackedIds).count,
            "stored": stored.count,
            "deliveries_expected": stored.count * 2,
            "lost": lost,
            "duplicated": duplicated,
            "caught_up": complete,
            "reconnects": everyone.reduce(0) { sum, client in sum + client.state.withLock { $0.reconnects } },
            "resumes_replayed": everyone.reduce(0) { sum, client in sum + client.state.withLock { $0.replays } },
            "send_failures": failures.withLock { $0 },
        ]
        let data = try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Keeps a socket open for `client` until `finished`, through any relay, resuming from its cursor each time.
    static func listen(_ client: Client, ports: [Int], until finished: Flag) {
        var attempt = 0
        while !finished.isSet {
            let port = ports[(attempt + Int.random(in: 0..<ports.count)) % ports.count]
            attempt += 1
            let cursor = client.state.withLock { $0.cursor }
            var path = "/ws/messages?token=\(client.token)"
            if let cursor { path += "&cursor=\(cursor)" }
            do {
                client.note("connect \(port) cursor \(cursor ?? "-")")
                let socket = try RelaySocket(port: port, path: path, timeout: 5)
                client.state.withLock { $0.socket = socket }
                var lastPing = Date.distantPast
                while !finished.isSet {
                    if Date().timeIntervalSince(lastPing) > 2 {
                        try socket.send(ClientFrame.ping.json)
                        lastPing = Date()
                    }
                    let frame = try socket.readFrame()
                    if frame.isClose { break }
                    guard frame.isText, let parsed = try? ServerFrame(json: frame.payload) else { continue }
                    switch parsed {
                    case .message(let message):
                        client.note("message \(message.id) cursor \(message.cursor ?? "-")")
                        client.state.withLock { state in
                            state.received[message.id, default: 0] += 1
                            if let next = message.cursor { state.cursor = next }
                        }
                    case .replayed(let count, let truncated, let next):
                        client.note("replayed \(count) truncated \(truncated) cursor \(next ?? "-")")
                        client.state.withLock { state in
                            if let next { state.cursor = next }
                            state.replays += 1
                        }
                    case .error(let code, let message, _, _):
                        client.note("error \(code) \(message)")
                    default:
                        break
                    }
                }
                try? socket.sendClose()
                client.note("closed by the relay")
            } catch {
                client.note("failed: \(error)")
            }
            client.state.withLock {
                $0.socket = nil
                $0.reconnects += 1
            }
            if !finished.isSet { usleep(200_000) }
        }
    }
}
