import ArgumentParser
import Foundation
import Histogram
import MsgLib
import Synchronization

/// `POST /api/messages` from many users over keep-alive connections, closed loop (as fast as answered) or
/// open loop at a fixed total rate, latency measured from each request's intended start (no coordinated omission).
struct PostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "post", abstract: "Post messages and report rate and latency.")

    @OptionGroup var options: BenchOptions
    @Option(help: "Concurrent connections (each a thread, each cycling through its own users).") var concurrency = 16
    @Option(help: "Seconds to run.") var duration = 10.0
    @Option(help: "Total requests per second; 0 for as fast as the relay answers.") var rate = 0.0

    func run() async throws {
        let signer = options.signer
        let targets = try BenchTarget.load(options.conninfo)
        guard !targets.isEmpty else { throw BenchError("no bench users: run msgbench setup first") }
        let requests: [[UInt8]] = targets.map { target in
            HTTPConnection.postMessage(
                token: signer.token(for: target.userId, ttl: 3600), conversation: target.conversationId, content: "benchmark message body")
        }
        let result = Mutex((histogram: Report.histogram(), ok: 0, failed: 0))
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(duration * 1e9)
        let interval = rate > 0 ? UInt64(1e9 / (rate / Double(concurrency))) : 0
        let group = DispatchGroup()
        for worker in 0..<concurrency {
            group.enter()
            let port = options.port
            let concurrency = self.concurrency
            Thread.detachNewThread {
                defer { group.leave() }
                var histogram = Report.histogram()
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
        var figures = Report.latency(histogram)
        figures["requests_per_second"] = Double(ok) / elapsed
        figures["ok"] = Double(ok)
        figures["failed"] = Double(failed)
        figures["concurrency"] = Double(concurrency)
        figures["target_rate"] = rate
        figures["seconds"] = elapsed
        Report.print(figures, json: options.json)
    }
}
