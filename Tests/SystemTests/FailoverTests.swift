import Foundation
import MsgLib
import TestSupport
import Testing

/// A PostgreSQL failover under a relay: a primary with a synchronous streaming standby, `DATABASE_URL` naming both
/// with `target_session_attrs=read-write`; the primary crashes while a user sends, the standby is promoted.
@Suite(.needsProcesses, .processSlot) struct FailoverTests {
    @Test func aPromotedStandbyTakesOverWithNothingLostOrDoubled() async throws {
        let primary = try PrivateCluster.start(durable: true)
        defer { try? primary.stop() }
        let setup = PostgresConnection(conninfo: primary.conninfo)
        try Migrator().migrate(setup)
        let f = try Fixtures.make(setup)
        setup.close()
        let standby = try primary.startStandby()
        defer { try? standby.stop() }
        let both = "host=127.0.0.1,127.0.0.1 port=\(primary.port),\(standby.port) user=postgres dbname=postgres target_session_attrs=read-write"
        let relay = try await TestRelay(
            database: TestDatabase(name: "postgres", conninfo: both),
            environment: ["MESSAGE_RATE_LIMIT_PER_MINUTE": "0", "MESSAGE_RATE_LIMIT_PER_HOUR": "0", "MESSAGE_RATE_LIMIT_PER_DAY": "0"])
        let admin = try relay.socket(f.admin)
        _ = try await admin.next(type: "connected")
        #expect((try await relay.request("GET", "/readyz")).status == 200)

        // A user sends one message after another; what was acknowledged with 2xx is recorded by its id.
        var acknowledged: [String] = []
        var refused = 0
        var promotedAt: ContinuousClock.Instant?
        var firstAckAfterPromotion: ContinuousClock.Instant?
        let deadline = ContinuousClock.now + .seconds(90)
        var n = 0
        while ContinuousClock.now < deadline {
            n += 1
            let reply = try? await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "message \(n)"])
            if let reply, (200..<300).contains(reply.status), let id = reply.object["id"] as? String {
                acknowledged.append(id)
                if promotedAt != nil, firstAckAfterPromotion == nil { firstAckAfterPromotion = .now }
            } else {
                refused += 1
                try await Task.sleep(for: .milliseconds(100))
            }
            if promotedAt == nil, acknowledged.count == 20 {
                try primary.crash()
                try standby.promote()
                promotedAt = .now
            }
            if firstAckAfterPromotion != nil, acknowledged.count >= 40 { break }
        }
        let promoted = try #require(promotedAt)
        let resumed = try #require(firstAckAfterPromotion, "no send was accepted after the promotion")
        #expect(resumed - promoted < .seconds(30), "sends were accepted again \(resumed - promoted) after the promotion")

        // Every acknowledged message is on the new primary, once.
        let check = PostgresConnection(conninfo: standby.conninfo)
        defer { check.close() }
        let stored = try check.query("SELECT id FROM messages ORDER BY id").map { try $0.decode(0, as: UUID.self).lowercasedString }
        #expect(Set(acknowledged).isSubset(of: Set(stored)), "lost: \(Set(acknowledged).subtracting(stored).sorted())")
        #expect(stored.count == Set(stored).count)
        #expect(acknowledged.count == Set(acknowledged).count)

        // The admin's socket gets each of them once (the relay's listener reconnects to the new primary and
        // catches up on what was committed meanwhile).
        let received = { admin.all(type: "message").compactMap { $0.data["id"] as? String } }
        try await waitFor("every acknowledged message on the admin's socket", timeout: 30) { Set(acknowledged).isSubset(of: Set(received())) }
        try await Task.sleep(for: .milliseconds(300))
        let ids = received()
        #expect(ids.count == Set(ids).count, "doubled: \(Dictionary(grouping: ids, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted())")
        #expect((try await relay.request("GET", "/readyz")).status == 200)
        // msgctl, given both hosts, works on the new primary.
        let reply = try await ProcessRunner.ours("msgctl", ["reply", "alice", "after the failover", "--database-url", both])
        #expect(reply.status == 0, "\(reply.stderr)")
        #expect(try check.scalar("SELECT count(*) FROM messages WHERE content = 'after the failover'", as: Int.self) == 1)
        try await relay.stop()
    }

    /// An incremental export needs the primary: on a standby the newest commits may not have been replayed, and a
    /// horizon taken there would pass them for good. Refused (78); a plain export from the standby works.
    @Test func anIncrementalExportRefusesAStandby() async throws {
        let primary = try PrivateCluster.start(durable: true)
        defer { try? primary.stop() }
        let setup = PostgresConnection(conninfo: primary.conninfo)
        try Migrator().migrate(setup)
        setup.close()
        let standby = try primary.startStandby()
        defer { try? standby.stop() }
        let folder = try TestEnvironment.scratchFolder("standby-export")
        let state = folder.appendingPathComponent("state.json").path
        let refused = try await ProcessRunner.ours("msgctl", ["export", "--state", state, "--database-url", standby.conninfo])
        #expect(refused.status == 78, "\(refused.stderr)")
        #expect(refused.stderr.contains("standby") && !FileManager.default.fileExists(atPath: state))
        let plain = try await ProcessRunner.ours("msgctl", ["export", "--database-url", standby.conninfo])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(try await ProcessRunner.ours("msgctl", ["export", "--state", state, "--database-url", primary.conninfo]).status == 0)
    }
}
