import Foundation
import MsgLib
import TestSupport
import Testing

/// The messages a relay commits itself reach its sockets without a snapshot read: only the periodic sweep reads one,
/// however many batches and announcements (each a transaction of its own) are committed meanwhile.
@Suite(.needsProcesses, .processSlot) struct LocalDeliveryTests {
    @Test func aRelaysOwnSendsNeedNoSnapshotReads() async throws {
        // A cluster of its own: other tests' transactions would be transactions the relay knows nothing of (as another
        // application's on a shared server), which a snapshot read must settle.
        let cluster = try PrivateCluster.start()
        defer { try? cluster.stop() }
        let db = PostgresConnection(conninfo: cluster.conninfo)
        try Migrator().migrate(db)
        let f = try Fixtures.make(db)
        let senders = try (0..<8).map { try UserRepository.insert(db, username: "sender\($0)", displayName: "Sender \($0)") }
        db.close()
        let relay = try await TestRelay(database: TestDatabase(name: "postgres", conninfo: cluster.conninfo), environment: CommitOrderTests.unlimited)
        let admin = try relay.socket(f.admin)
        _ = try await admin.next(type: "connected")
        let before = try await Self.snapshotReads(relay)

        let perSender = 150
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in senders {
                group.addTask {
                    let token = relay.token(sender)
                    for i in 0..<perSender {
                        let response = try await relay.request("POST", "/api/messages", token: token, json: ["content": "m\(i)"])
                        #expect(response.status == 201)
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = senders.count * perSender
        try await waitFor("\(total) messages on the admin's socket") { admin.all(type: "message").count >= total }
        let elapsed = (ContinuousClock.now - started) / .seconds(1)
        let reads = try await Self.snapshotReads(relay) - before

        let ids = admin.all(type: "message").compactMap { $0.data["id"] as? String }
        #expect(ids.count == total && Set(ids).count == total, "each message once")
        // One periodic sweep a second, and a few for anything else (a busy machine adds some: a listener that missed its
        // probe reconnects and sweeps); before announcements counted as ended, every sixteenth batch needed one.
        let check = PostgresConnection(conninfo: cluster.conninfo)
        let batches = try check.scalar("SELECT count(DISTINCT txid) FROM messages", as: Int.self)
        check.close()
        #expect(
            reads - Int(elapsed.rounded(.up)) <= 10 + batches / 48,
            "\(reads) snapshot reads in \(elapsed) s for \(total) sends in \(batches) batches")
        try await relay.stop()
    }

    static func snapshotReads(_ relay: TestRelay) async throws -> Int {
        let text = try await relay.request("GET", "/metrics").text
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("msgrelay_commit_snapshots_total ") })
        return Int(try #require(Double(line.split(separator: " ")[1])))
    }
}
