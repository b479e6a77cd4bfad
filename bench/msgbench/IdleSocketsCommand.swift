import ArgumentParser
import CNIOLinux
import Foundation
import MsgLib
import RelayClient

/// Holds many authenticated, idle sockets open, each pinging every 30 s as the design's clients do, and reports
/// the relay's resident memory per socket and its CPU use while they idle.
struct IdleSocketsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ws-idle", abstract: "RSS per socket and CPU of idle sockets with heartbeats.")

    @OptionGroup var options: BenchOptions
    @Option(help: "The relay's process id (to read its memory and CPU from /proc).") var relayPid: Int32
    @Option(help: "Sockets to open.") var sockets = 10_000
    @Option(help: "Seconds to idle once all are open.") var duration = 60.0
    @Option(help: "Seconds between a socket's pings.") var pingInterval = 30.0

    func run() async throws {
        raiseFileLimit()
        let signer = options.signer
        let targets = try BenchTarget.load(options.conninfo)
        let tokens = targets.map { signer.token(for: $0.userId, ttl: 7200) }
        let rssBefore = try Self.rssKiB(relayPid)
        var open: [RelaySocket] = []
        open.reserveCapacity(sockets)
        for i in 0..<sockets {
            do {
                open.append(try RelaySocket(port: options.port, path: "/ws/messages?token=\(tokens[i % tokens.count])"))
            } catch {
                throw BenchError("socket \(i + 1) of \(sockets): \(error)")
            }
        }
        // Read every `connected` frame, so the relay has finished each handshake.
        for socket in open { _ = try socket.readFrame() }
        try await Task.sleep(for: .seconds(2))
        let rssOpen = try Self.rssKiB(relayPid)
        let cpuStart = try Self.cpuTicks(relayPid)
        let start = nowNanoseconds()
        var alive = [Bool](repeating: true, count: sockets)
        // Pings go out in a fixed round: socket i at start + i/sockets of the interval, then every interval.
        var nextPing = (0..<sockets).map { start + UInt64(Double($0) / Double(sockets) * pingInterval * 1e9) }
        var cursor = 0
        var pings = 0
        var pongs = 0
        var closed = 0
        let end = start + UInt64(duration * 1e9)
        let ping = ClientFrame.ping.json
        // epoll, not poll: the load generator shares the machine's two cores with the relay it measures.
        let epoll = epoll_create1(0)
        defer { close(epoll) }
        for (i, socket) in open.enumerated() {
            var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: UInt64(i)))
            guard epoll_ctl(epoll, EPOLL_CTL_ADD, socket.fileDescriptor, &event) == 0 else { throw BenchError("epoll_ctl: errno \(errno)") }
        }
        var events = [epoll_event](repeating: epoll_event(), count: 1024)
        /// Reads what the relay sent, waiting up to `milliseconds` for something to arrive.
        func readReady(waiting milliseconds: Int32) {
            let ready = epoll_wait(epoll, &events, Int32(events.count), milliseconds)
            for k in 0..<max(0, Int(ready)) {
                let i = Int(events[k].data.u64)
                guard alive[i] else { continue }
                repeat {
                    guard let frame = try? open[i].readFrame(), !frame.isClose else {
                        alive[i] = false
                        epoll_ctl(epoll, EPOLL_CTL_DEL, open[i].fileDescriptor, nil)
                        closed += 1
                        break
                    }
                    if frame.text.contains("\"pong\"") { pongs += 1 }
                } while open[i].hasBufferedFrame
            }
        }
        while nowNanoseconds() < end {
            let now = nowNanoseconds()
            while nextPing[cursor] <= now {
                if alive[cursor] {
                    try? open[cursor].send(ping)
                    pings += 1
                }
                nextPing[cursor] = now + UInt64(pingInterval * 1e9)
                cursor = (cursor + 1) % sockets
            }
            let untilNext = nextPing[cursor] > now ? (nextPing[cursor] - now) / 1_000_000 : 0
            readReady(waiting: Int32(min(100, untilNext)))
        }
        let elapsed = Double(nowNanoseconds() - start) / 1e9
        let cpuSeconds = Double(try Self.cpuTicks(relayPid) - cpuStart) / Double(sysconf(Int32(_SC_CLK_TCK)))
        // The pongs of the last pings sent are still on their way: waited for (up to 5 s), so that every ping counts.
        let drainEnd = nowNanoseconds() + 5_000_000_000
        while pongs < pings, closed == 0, nowNanoseconds() < drainEnd { readReady(waiting: 100) }
        let figures: [String: Double] = [
            "sockets": Double(sockets), "rss_before_kib": Double(rssBefore), "rss_open_kib": Double(rssOpen),
            "rss_per_socket_kib": Double(rssOpen - rssBefore) / Double(sockets), "cpu_percent_of_one_core": cpuSeconds / elapsed * 100,
            "seconds": elapsed, "pings": Double(pings), "pongs": Double(pongs), "closed_by_relay": Double(closed),
        ]
        Report.print(figures, json: options.json)
    }

    static func rssKiB(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        else { throw BenchError("cannot read the relay's memory") }
        return kib
    }

    static func cpuTicks(_ pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat.split(separator: ")").last!.split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }
}
