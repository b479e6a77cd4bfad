import ArgumentParser
import Foundation
import Histogram
import MsgLib
import Synchronization

/// `POST /api/messages` from many users over keep-alive connections, closed loop (as fast as answered) or
/// open loop at a fixed total rate, latency measured from each request's intended start (no coordinated omission).
struct PostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "post", abstract: "Post messages and report rate and latency.")

    @Option(help: "Relay port on 127.0.0.1.") var port = 8080
    @Option(help: "Concurrent connections (each a thread, each cycling through its own users).") var concurrency = 16
    @Option(help: "Seconds to run.") var duration = 10.0
    @Option(help: "Total requests per second; 0 for as fast as the relay answers.") var rate = 0.0
    @Option(help: "JWT_SECRET of the relay (default: JWT_SECRET).") var secret: String?
    @Option(help: "libpq connection string (default: DATABASE_URL).") var databaseURL: String?
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let signer = JWTSigner(secret: secret ?? environment["JWT_SECRET"] ?? "")
        let targets = try BenchTarget.load(databaseURL ?? environment["DATABASE_URL"] ?? "")
        guard !targets.isEmpty else { throw BenchError("no bench users: run msgbench setup first") }
        let requests: [[UInt8]] = targets.map { target in
            let body = #"{"conversation_id":"\#(target.conversationId.lowercasedString)","content":"benchmark message body"}"#
            let head =
                "POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(signer.token(for: target.userId, ttl: 3600))\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            return Array((head + body).utf8)
        }
        let result = Mutex((histogram: Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three), ok: 0, failed: 0))
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(duration * 1e9)
        let interval = rate > 0 ? UInt64(1e9 / (rate / Double(concurrency))) : 0
        let group = DispatchGroup()
        for worker in 0..<concurrency {
            group.enter()
            let port = self.port
            let concurrency = self.concurrency
            Thread.detachNewThread {
                defer { group.leave() }
                var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
                var ok = 0
                var failed = 0
                do {
                    let connection = try HTTPConnection(port: port)
                    var i = worker
                    var intended = start + UInt64(worker) * (interval / UInt64(max(concurrency, 1)))
                    while true {
                        let now = DispatchTime.now().uptimeNanoseconds
                        if interval > 0 {
                            if intended > now { usleep(UInt32((intended - now) / 1000)) }
                        } else {
                            intended = now
                        }
                        if intended >= end { break }
                        let status = try connection.send(requests[i % requests.count])
                        let done = DispatchTime.now().uptimeNanoseconds
                        _ = histogram.record(done - intended)
                        if status == 201 { ok += 1 } else { failed += 1 }
                        i += concurrency
                        if interval > 0 { intended += interval }
                    }
                } catch {
                    failed += 1
                    FileHandle.standardError.write(Data("worker \(worker): \(error)\n".utf8))
                }
                result.withLock {
                    $0.histogram.add(histogram)
                    $0.ok += ok
                    $0.failed += failed
                }
            }
        }
        group.wait()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let (histogram, ok, failed) = result.withLock { ($0.histogram, $0.ok, $0.failed) }
        let ms = { (p: Double) in Double(histogram.valueAtPercentile(p)) / 1e6 }
        let report: [String: Double] = [
            "requests_per_second": Double(ok) / elapsed, "ok": Double(ok), "failed": Double(failed),
            "p50_ms": ms(50), "p90_ms": ms(90), "p99_ms": ms(99), "p999_ms": ms(99.9), "max_ms": Double(histogram.max) / 1e6,
            "concurrency": Double(concurrency), "target_rate": rate, "seconds": elapsed,
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(
                String(
                    format: "%d ok, %d failed in %.1f s: %.0f msg/s; latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms",
                    ok, failed, elapsed, Double(ok) / elapsed, ms(50), ms(90), ms(99), ms(99.9), Double(histogram.max) / 1e6))
        }
    }
}
