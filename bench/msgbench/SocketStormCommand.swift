import ArgumentParser
import Foundation
import MsgLib
import RelayClient
import Synchronization

/// A connect storm: opens many authenticated sockets on a relay it starts itself, kills the relay with SIGKILL, writes
/// one message into every user's conversation while it is down (the relay cannot see them), starts it again, and
/// reconnects every socket at once, each resuming from the cursor its `connected` frame gave. Reports how long until
/// every socket had its `replayed` frame, whether each got its user's missed message exactly once, and the relay's
/// database pool meanwhile; then, as the reference, the same restart with the sockets reconnecting without a cursor.
struct SocketStormCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws-storm", abstract: "Sockets reconnecting at once after a relay restart, resuming; beside the same without resume.")

    @OptionGroup var options: BenchOptions
    @Option(help: "The msgrelay binary to start, kill and start again (on --port, with this process's environment).") var relay: String
    @Option(help: "Sockets to open.") var sockets = 10_000
    @Option(help: "Threads that reconnect the sockets (each opens its share, then reads them).") var threads = 16

    /// One socket of the storm: its user and the cursor it resumes from.
    struct Slot: Sendable {
        var target: BenchTarget
        var token: String
        var cursor = ""
    }

    /// What the reconnecting threads saw.
    struct Tally: Sendable {
        var retries = 0
        var lost = 0
        var duplicated = 0
        var failures: [String] = []
        var completion: [Double] = []
    }

    func run() async throws {
        raiseFileLimit()
        let targets = try BenchTarget.load(options.conninfo)
        let signer = options.signer
        var slots = (0..<sockets).map { i in
            let target = targets[i % targets.count]
            return Slot(target: target, token: signer.token(for: target.userId, ttl: 7200))
        }
        var process = try startRelay()
        defer { if process.isRunning { process.terminate() } }

        // Every socket opened, and the cursor of the point it joined at kept.
        var open: [RelaySocket] = []
        open.reserveCapacity(sockets)
        for i in 0..<sockets {
            let socket = try RelaySocket(port: options.port, path: "/ws/messages?token=\(slots[i].token)")
            slots[i].cursor = try Self.readUntilReplayed(socket).cursor
            open.append(socket)
        }

        // Down: the relay killed, one message per user written straight into the database.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        open.removeAll()
        let db = PostgresConnection(conninfo: options.conninfo)
        try db.connect()
        var missed: [UUID: UUID] = [:]
        for target in targets {
            let message = try MessageRepository.insert(
                db, conversationId: target.conversationId, senderId: target.userId, content: "written while the relay was down")
            missed[target.userId] = message.id
        }

        process = try startRelay()
        let resumed = try storm(slots, resume: true, missed: missed, relay: process.processIdentifier)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        process = try startRelay()
        let fresh = try storm(slots, resume: false, missed: missed, relay: process.processIdentifier)
        process.terminate()
        process.waitUntilExit()

        var figures: [String: Double] = ["sockets": Double(sockets), "threads": Double(threads), "users": Double(targets.count)]
        for (name, result) in [("resume", resumed), ("fresh", fresh)] {
            figures["\(name)_all_back_seconds"] = result.seconds
            figures["\(name)_relay_cpu_ms_per_socket"] = result.cpu.relay * 1000 / Double(sockets)
            figures["\(name)_postgres_cpu_ms_per_socket"] = result.cpu.postgres * 1000 / Double(sockets)
            figures["\(name)_socket_p50_seconds"] = Report.percentile(sorted: result.tally.completion.sorted(), 50)
            figures["\(name)_socket_p99_seconds"] = Report.percentile(sorted: result.tally.completion.sorted(), 99)
            figures["\(name)_retries"] = Double(result.tally.retries)
            figures["\(name)_failed_sockets"] = Double(result.tally.failures.count)
            figures["\(name)_pool_waiting_max"] = Double(result.poolWaitingMax)
            figures["\(name)_pool_in_use_max"] = Double(result.poolInUseMax)
        }
        figures["resume_messages_lost"] = Double(resumed.tally.lost)
        figures["resume_messages_duplicated"] = Double(resumed.tally.duplicated)
        for failure in (resumed.tally.failures + fresh.tally.failures).prefix(5) {
            FileHandle.standardError.write(Data("socket failed: \(failure)\n".utf8))
        }
        Report.print(figures, json: options.json)
    }

    /// Starts the relay on `--port` and returns once it answers `GET /readyz` with 200.
    func startRelay() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: relay)
        process.arguments = ["--port", String(options.port)]
        try process.run()
        let deadline = nowNanoseconds() + 30_000_000_000
        while nowNanoseconds() < deadline {
            if HTTPConnection.get(port: options.port, path: "/readyz") != nil { return process }
            usleep(20_000)
        }
        process.terminate()
        throw BenchError("msgrelay did not become ready within 30 s")
    }

    /// Reconnects every slot at once (each thread opens its share, then reads them), with its cursor or without, until
    /// its `replayed` frame; after a resume, its user's missed message must have come exactly once. Also the CPU the relay
    /// and PostgreSQL used meanwhile.
    func storm(
        _ slots: [Slot], resume: Bool, missed: [UUID: UUID], relay pid: Int32
    ) throws -> (seconds: Double, tally: Tally, poolWaitingMax: Int, poolInUseMax: Int, cpu: (relay: Double, postgres: Double)) {
        let state = StormState()
        Thread.detachNewThread { [port = options.port] in
            while !state.done.load(ordering: .relaxed) {
                if let sample = Self.poolGauges(port: port) {
                    state.pool.withLock { $0 = (max($0.waiting, sample.waiting), max($0.inUse, sample.inUse)) }
                }
                usleep(50_000)
            }
        }
        let cpuBefore = try Self.cpuSeconds(relay: pid)
        let start = nowNanoseconds()
        let group = DispatchGroup()
        let shares = max(1, threads)
        for share in 0..<shares {
            group.enter()
            Thread.detachNewThread { [port = options.port] in
                defer { group.leave() }
                let mine = stride(from: share, to: slots.count, by: shares).map { slots[$0] }
                var pending = mine.map { (slot: $0, socket: RelaySocket?.none, attempts: 0) }
                // Open the whole share first, so that the relay has all of them to resume at once.
                for i in pending.indices { pending[i].socket = try? Self.connect(port: port, pending[i].slot, resume: resume) }
                for i in pending.indices {
                    while true {
                        if pending[i].socket == nil {
                            pending[i].attempts += 1
                            state.tally.withLock { $0.retries += 1 }
                            guard pending[i].attempts < 50 else {
                                state.tally.withLock { $0.failures.append("\(pending[i].slot.target.userId): 50 attempts") }
                                break
                            }
                            usleep(UInt32(min(1_000_000, 50_000 * pending[i].attempts)))
                            pending[i].socket = try? Self.connect(port: port, pending[i].slot, resume: resume)
                            continue
                        }
                        do {
                            let seen = try Self.readUntilReplayed(pending[i].socket!).ids
                            let elapsed = Double(nowNanoseconds() - start) / 1e9
                            let expected = missed[pending[i].slot.target.userId]
                            let copies = seen.filter { $0 == expected }.count
                            state.tally.withLock {
                                $0.completion.append(elapsed)
                                if resume, copies == 0 { $0.lost += 1 }
                                if copies > 1 { $0.duplicated += copies - 1 }
                            }
                            pending[i].socket = nil
                            break
                        } catch {
                            // Closed (1013 when the replay could not be made) or cut: reconnect with backoff.
                            pending[i].socket = nil
                        }
                    }
                }
            }
        }
        group.wait()
        let seconds = Double(nowNanoseconds() - start) / 1e9
        state.done.store(true, ordering: .relaxed)
        let gauges = state.pool.withLock { $0 }
        let cpuAfter = try Self.cpuSeconds(relay: pid)
        let cpu = (relay: cpuAfter.relay - cpuBefore.relay, postgres: cpuAfter.postgres - cpuBefore.postgres)
        return (seconds, state.tally.withLock { $0 }, gauges.waiting, gauges.inUse, cpu)
    }

    static func connect(port: Int, _ slot: Slot, resume: Bool) throws -> RelaySocket {
        let cursor = resume ? "&cursor=\(slot.cursor)" : ""
        return try RelaySocket(port: port, path: "/ws/messages?token=\(slot.token)\(cursor)", timeout: 30)
    }

    /// Reads frames until `replayed` (which ends the replay of a resume, and the unread messages of a fresh socket):
    /// the ids of the `message` frames on the way, and the `replayed` frame's cursor.
    static func readUntilReplayed(_ socket: RelaySocket) throws -> (ids: [UUID], cursor: String) {
        var ids: [UUID] = []
        while true {
            let frame = try socket.readFrame()
            if frame.isClose { throw BenchError("closed with \(frame.closeCode ?? 0)") }
            guard let object = try? JSONSerialization.jsonObject(with: Data(frame.payload)) as? [String: Any], let type = object["type"] as? String
            else { continue }
            let data = object["data"] as? [String: Any]
            switch type {
            case "error": throw BenchError("error frame: \(frame.text)")
            case "message":
                if let id = (data?["id"] as? String).flatMap(UUID.init(uuidString:)) { ids.append(id) }
            case "replayed":
                guard let cursor = data?["cursor"] as? String else { throw BenchError("replayed without a cursor: \(frame.text)") }
                return (ids, cursor)
            default: break
            }
        }
    }

    /// The relay's `msgrelay_db_pool_waiting` and `msgrelay_db_pool_in_use`, from `GET /metrics`.
    static func poolGauges(port: Int) -> (waiting: Int, inUse: Int)? {
        guard let text = HTTPConnection.get(port: port, path: "/metrics") else { return nil }
        func gauge(_ name: String) -> Int {
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }
                .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { Int($0) } ?? 0
        }
        return (gauge("msgrelay_db_pool_waiting"), gauge("msgrelay_db_pool_in_use"))
    }

    /// CPU seconds used so far by the relay and by every PostgreSQL process of this machine.
    static func cpuSeconds(relay: Int32) throws -> (relay: Double, postgres: Double) {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var postgres = 0
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
            guard let comm = try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8), comm.hasPrefix("postgres") else { continue }
            postgres += (try? IdleSocketsCommand.cpuTicks(Int32(entry)!)) ?? 0
        }
        return (Double(try IdleSocketsCommand.cpuTicks(relay)) / ticks, Double(postgres) / ticks)
    }

    /// What the threads of one storm share.
    final class StormState: Sendable {
        let tally = Mutex(Tally())
        let done = Atomic<Bool>(false)
        let pool = Mutex((waiting: 0, inUse: 0))
    }
}
