import ArgumentParser
import Foundation
import Histogram
import MsgLib
import Synchronization

/// Web Push end to end through the real system: messages created through the service layer (as msgctl and the
/// relays create them: the message and its outbox jobs in one statement), a running msgrelay whose outbox worker
/// hears of them by LISTEN/NOTIFY, encrypts, signs and sends each push, and a loopback push service that answers
/// 201 and records when each push arrived.
///
/// The bench admin gets `--subscriptions` subscriptions pointing at the loopback service (each with its own keys),
/// so every user message makes that many pushes. Senders create `--messages` messages as fast as they commit (or
/// at `--rate` per second), for at most `--duration` seconds; the command then waits for the pushes until all have
/// arrived, none has for `--stall-timeout` seconds, or `--max-wait` seconds have passed. Afterwards each push is
/// decrypted with its subscription's keys to find its message, and latency is measured from that message's commit
/// (when `sendMessage` returned) to the push's arrival.
///
/// It deletes every admin's push subscriptions first (and its own afterwards): run it on a bench database only.
struct PushEndToEndCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push-e2e", abstract: "Push notifications/s and latency, message commit -> loopback push service, through msgrelay.")

    @Option(help: "Messages to create.") var messages = 5000
    @Option(help: "Push subscriptions of the bench admin (pushes per message).") var subscriptions = 1
    @Option(help: "Concurrent senders (database connections).") var senders = 8
    @Option(help: "Longest time to spend creating messages, in seconds.") var duration = 20.0
    @Option(help: "Messages per second in total; 0 for as fast as they commit.") var rate = 0.0
    @Option(help: "Give up waiting when no push has arrived for this many seconds.") var stallTimeout = 10.0
    @Option(help: "Longest wait for the pushes after the last message, in seconds.") var maxWait = 60.0
    @Option(help: "The relay's process id, to report its CPU use.") var relayPid: Int32?
    @Option(help: "The PostgreSQL postmaster's process id, to report the CPU use of the server and its backends.") var postgresPid: Int32?
    @Option(help: "libpq connection string (default: DATABASE_URL).") var databaseURL: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard messages > 0, subscriptions > 0, senders > 0, duration > 0, rate >= 0 else {
            throw ValidationError("--messages, --subscriptions, --senders and --duration must be positive, --rate at least 0")
        }
    }

    func run() async throws {
        let conninfo = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        let service = try PushLoopbackService()
        let db = PostgresConnection(conninfo: conninfo, applicationName: "msgbench-push")
        try db.connect()
        guard let admin = try UserRepository.find(db, username: "benchadmin") else { throw BenchError("no bench admin: run msgbench setup first") }
        let targets = try BenchTarget.load(conninfo)
        guard !targets.isEmpty else { throw BenchError("no bench users: run msgbench setup first") }
        let users = try targets.map { target in
            guard let user = try UserRepository.find(db, id: target.userId) else { throw BenchError("bench user \(target.userId) is gone") }
            return user
        }

        // Only our subscriptions: every admin's others go (with their pending jobs), so nothing else is sent.
        try db.query("DELETE FROM push_subscriptions WHERE user_id IN (SELECT id FROM users WHERE is_admin)")
        let pending = try db.query("SELECT count(*) FROM notification_outbox WHERE failed_at IS NULL")[0].decode(0, as: Int.self)
        guard pending == 0 else { throw BenchError("the outbox holds \(pending) jobs before the run: start from an empty one") }
        let subscribers = (0..<subscriptions).map { _ in PushSubscriber.generate() }
        for (index, subscriber) in subscribers.enumerated() {
            _ = try PushSubscriptionRepository.upsert(
                db, userId: admin.id, endpoint: "http://127.0.0.1:\(service.port)/push/\(index)", p256dh: subscriber.p256dhBase64URL,
                auth: subscriber.authBase64URL)
        }

        let pool = DatabasePool(configuration: DatabaseConfiguration(conninfo: conninfo, poolSize: senders, applicationName: "msgbench-push"))
        let messaging = MessagingService(pool: pool, rules: MessagingRules(perMinute: 0, perHour: 0, perDay: 0))
        let content = PushBench.body(length: 100)
        let progress = SendProgress(capacity: messages)

        let cpu = CPUSampler(relayPid: relayPid, postgresPid: postgresPid)
        let start = nowNanoseconds()
        let sendUntil = start + UInt64(duration * 1e9)
        let messageCount = messages
        let rate = self.rate
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<senders {
                group.addTask {
                    while true {
                        let i = progress.next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard i < messageCount else { return }
                        if rate > 0 {
                            let due = start + UInt64(Double(i) / rate * 1e9)
                            let now = nowNanoseconds()
                            if due > now { try await Task.sleep(nanoseconds: due - now) }
                        }
                        guard nowNanoseconds() < sendUntil else { return }
                        let target = targets[i % targets.count]
                        do {
                            let message = try await messaging.sendMessage(
                                viewer: users[i % users.count], conversationId: target.conversationId, content: content)
                            let at = nowNanoseconds()
                            progress.committed.withLock { $0[message.id] = at }
                        } catch {
                            if progress.failures.wrappingAdd(1, ordering: .relaxed).oldValue == 0 {
                                FileHandle.standardError.write(Data("sendMessage failed: \(error)\n".utf8))
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let commits = progress.committed.withLock { $0 }
        let sendingEnded = nowNanoseconds()
        let expected = commits.count * subscriptions

        // Wait for the pushes: all of them, or until none has come for a while.
        var seen = service.requestCount
        var lastProgress = nowNanoseconds()
        let waitUntil = sendingEnded + UInt64(maxWait * 1e9)
        while seen < expected && nowNanoseconds() - lastProgress < UInt64(stallTimeout * 1e9) && nowNanoseconds() < waitUntil {
            try await Task.sleep(nanoseconds: 2_000_000)
            let now = service.requestCount
            if now != seen {
                seen = now
                lastProgress = nowNanoseconds()
            }
        }
        let usage = cpu.finish()
        let counts = service.snapshot
        let arrivals = service.takeArrivals()
        service.stop()

        // Match each push to its message by decrypting it, as the browser would.
        var histogram = Report.histogram()
        var delivered = Set<String>()
        var undecryptable = 0
        var unknown = 0
        var duplicates = 0
        for arrival in arrivals {
            guard let index = Int(arrival.path.split(separator: "/").last ?? ""), subscribers.indices.contains(index),
                let plaintext = subscribers[index].decrypt(arrival.body),
                let object = try? JSONSerialization.jsonObject(with: Data(plaintext)) as? [String: Any],
                let data = object["data"] as? [String: Any], let id = (data["message_id"] as? String).flatMap(UUID.init(uuidString:))
            else {
                undecryptable += 1
                continue
            }
            guard let commit = commits[id] else {
                unknown += 1
                continue
            }
            if !delivered.insert("\(id)/\(index)").inserted { duplicates += 1 }
            _ = histogram.record(arrival.at > commit ? arrival.at - commit : 0)
        }
        let leftInOutbox = try db.query("SELECT count(*) FROM notification_outbox WHERE failed_at IS NULL")[0].decode(0, as: Int.self)
        let failedInOutbox = try db.query("SELECT count(*) FROM notification_outbox WHERE failed_at IS NOT NULL")[0].decode(0, as: Int.self)
        try db.query("DELETE FROM push_subscriptions WHERE user_id = $1", [admin.id])
        await pool.shutdown()

        let lastArrival = arrivals.map(\.at).max() ?? sendingEnded
        let lastCommit = commits.values.max() ?? start
        let seconds = Double(lastArrival - start) / 1e9
        var figures = Report.latency(histogram)
        figures["messages"] = Double(commits.count)
        figures["send_failures"] = Double(progress.failures.load(ordering: .relaxed))
        figures["subscriptions"] = Double(subscriptions)
        figures["senders"] = Double(senders)
        figures["target_rate"] = rate
        figures["pushes_expected"] = Double(expected)
        figures["pushes_received"] = Double(arrivals.count)
        figures["missing"] = Double(expected - delivered.count)
        figures["duplicates"] = Double(duplicates)
        figures["undecryptable"] = Double(undecryptable + counts.malformed)
        figures["unknown_message"] = Double(unknown)
        figures["outbox_left"] = Double(leftInOutbox)
        figures["outbox_failed"] = Double(failedInOutbox)
        figures["seconds"] = seconds
        figures["messages_per_second"] = Double(commits.count) / (Double(lastCommit - start) / 1e9)
        figures["notifications_per_second"] = Double(delivered.count) / seconds
        figures["drain_seconds_after_last_commit"] = Double(lastArrival > lastCommit ? lastArrival - lastCommit : 0) / 1e9
        figures["push_connections"] = Double(counts.connections)
        figures["requests_per_connection"] = Double(counts.requests) / Double(max(counts.connections, 1))
        for (name, value) in usage { figures[name] = value }
        Report.print(figures, json: json)
    }
}

/// What the senders share: the next message to send, the failures, and when each message was committed.
final class SendProgress: Sendable {
    let next = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let committed = Mutex<[UUID: UInt64]>([:])

    init(capacity: Int) { committed.withLock { $0.reserveCapacity(capacity) } }
}

/// CPU time used between its creation and ``finish()``: the relay's, PostgreSQL's (postmaster and backends),
/// this process's, and the whole machine's, each in percent of one core.
struct CPUSampler {
    let relayPid: Int32?
    let postgresPid: Int32?
    private let started = nowNanoseconds()
    private let relayStart: Int?
    private let postgresStart: Int?
    private let selfStart = CPUSampler.selfTicks()
    private let machineStart = CPUSampler.machineTicks()

    init(relayPid: Int32?, postgresPid: Int32?) {
        self.relayPid = relayPid
        self.postgresPid = postgresPid
        relayStart = relayPid.flatMap { try? IdleSocketsCommand.cpuTicks($0) }
        postgresStart = postgresPid.map { CPUSampler.treeTicks($0) }
    }

    func finish() -> [String: Double] {
        let seconds = Double(nowNanoseconds() - started) / 1e9
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        let percent = { (ticks: Int) in Double(ticks) / hz / seconds * 100 }
        var figures: [String: Double] = ["cpu_window_seconds": seconds, "cores": Double(ProcessInfo.processInfo.activeProcessorCount)]
        if let relayPid, let relayStart, let now = try? IdleSocketsCommand.cpuTicks(relayPid) {
            figures["relay_cpu_percent"] = percent(now - relayStart)
        }
        if let postgresPid, let postgresStart { figures["postgres_cpu_percent"] = percent(Self.treeTicks(postgresPid) - postgresStart) }
        figures["msgbench_cpu_percent"] = percent(Self.selfTicks() - selfStart)
        let machine = Self.machineTicks()
        let total = machine.total - machineStart.total
        if total > 0 { figures["machine_busy_percent"] = Double(total - (machine.idle - machineStart.idle)) / Double(total) * 100 }
        return figures
    }

    /// User and system ticks of `root` and its children (a postmaster's backends), as /proc says now.
    static func treeTicks(_ root: Int32) -> Int {
        var ticks = 0
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 12
            else { continue }
            if pid == root || Int32(fields[1]) == root { ticks += (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) }
        }
        return ticks
    }

    static func selfTicks() -> Int { (try? IdleSocketsCommand.cpuTicks(getpid())) ?? 0 }

    /// All cores' ticks, and the idle (and iowait) ones among them, from /proc/stat.
    static func machineTicks() -> (total: Int, idle: Int) {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let line = stat.split(separator: "\n").first else {
            return (0, 0)
        }
        let numbers = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        guard numbers.count >= 5 else { return (0, 0) }
        return (numbers.prefix(8).reduce(0, +), numbers[3] + numbers[4])
    }
}
