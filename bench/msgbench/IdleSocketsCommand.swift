import ArgumentParser
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
        var descriptors = open.map { pollfd(fd: $0.fileDescriptor, events: Int16(POLLIN), revents: 0) }
        var nextPing = (0..<sockets).map { start + UInt64(Double($0) / Double(sockets) * pingInterval * 1e9) }
        var pings = 0
        var pongs = 0
        var closed = 0
        let end = start + UInt64(duration * 1e9)
        let ping = ClientFrame.ping.json
        while nowNanoseconds() < end {
            let now = nowNanoseconds()
            for i in 0..<sockets where nextPing[i] <= now && descriptors[i].fd >= 0 {
                try? open[i].send(ping)
                pings += 1
                nextPing[i] = now + UInt64(pingInterval * 1e9)
            }
            if poll(&descriptors, nfds_t(descriptors.count), 100) > 0 {
                for i in 0..<sockets where descriptors[i].revents != 0 && descriptors[i].fd >= 0 {
                    repeat {
                        guard let frame = try? open[i].readFrame() else {
                            descriptors[i].fd = -1
                            closed += 1
                            break
                        }
                        if frame.text.contains("\"pong\"") { pongs += 1 }
                        if frame.isClose {
                            descriptors[i].fd = -1
                            closed += 1
                            break
                        }
                    } while open[i].hasBufferedFrame
                }
            }
        }
        let elapsed = Double(nowNanoseconds() - start) / 1e9
        let cpuSeconds = Double(try Self.cpuTicks(relayPid) - cpuStart) / Double(sysconf(Int32(_SC_CLK_TCK)))
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
