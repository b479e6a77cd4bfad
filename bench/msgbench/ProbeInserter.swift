import Foundation
import MsgLib
import Synchronization

/// Inserts a message into one conversation every `interval` ms on a thread of its own, timing each insert, until
/// ``finish()``: how long writers wait while a migration runs beside them.
final class ProbeInserter: Sendable {
    private let stop = Atomic<Bool>(false)
    private let latencies = Mutex<[Double]>([])
    private let group = DispatchGroup()

    init(conninfo: String, conversationId: UUID, senderId: UUID, interval: Double) throws {
        let probe = PostgresConnection(conninfo: conninfo)
        try probe.connect()
        let pause = UInt32(interval * 1000)
        group.enter()
        Thread.detachNewThread { [self] in
            defer { group.leave() }
            while !stop.load(ordering: .relaxed) {
                let start = nowNanoseconds()
                do {
                    _ = try MessageRepository.insert(
                        probe, conversationId: conversationId, senderId: senderId, content: "probe message during the migration")
                } catch {
                    FileHandle.standardError.write(Data("probe insert failed: \(error)\n".utf8))
                }
                let ms = Double(nowNanoseconds() - start) / 1e6
                latencies.withLock { $0.append(ms) }
                usleep(pause)
            }
        }
        usleep(500_000)
    }

    /// Stops the probe half a second later and returns its figures: `probe_inserts`, and `insert_p50_ms`,
    /// `insert_p99_ms`, `insert_max_ms` of its latencies.
    func finish() -> [String: Double] {
        usleep(500_000)
        stop.store(true, ordering: .relaxed)
        group.wait()
        let sorted = latencies.withLock { $0 }.sorted()
        return [
            "probe_inserts": Double(sorted.count), "insert_p50_ms": Report.percentile(sorted: sorted, 50),
            "insert_p99_ms": Report.percentile(sorted: sorted, 99), "insert_max_ms": sorted.last ?? 0,
        ]
    }
}
