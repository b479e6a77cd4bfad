import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// `msgctl stats` gives exactly the figures of the straightforward statements, after every kind of write (sends out
/// of order, bulk inserts, messages of one transaction sharing their time, edits, soft deletes and restores, purges,
/// a user's and a conversation's deletion, an admin flag changed), in time zones with whole, half and quarter hours,
/// for windows that cut conversations and waits in every way.
@Suite(.needsProcesses, .processSlot) struct StatisticsQueryTests {
    static let base = Timestamp(microsecondsSinceEpoch: 1_772_323_200_000_000)  // 2026-03-01T00:00:00Z
    static let zones = ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"]

    static func at(_ seconds: Double) -> Timestamp { base.adding(seconds: seconds) }

    static let windows: [(Timestamp, Timestamp)] = [
        (at(0), at(12 * 86_400)),
        (at(86_400 + 17 * 60 + 3), at(9 * 86_400 + 7 * 3600).adding(seconds: 0.000_001)),
        (at(3 * 86_400 + 300), at(3 * 86_400 + 600)),
        (at(2 * 86_400 + 23 * 3600), at(4 * 86_400 + 3600)),
        (at(-10 * 86_400), at(20 * 86_400)),
        (at(6 * 86_400 + 12 * 3600), at(7 * 86_400 + 12 * 3600)),
        (at(5 * 86_400 + 1800), at(5 * 86_400 + 2700)),
    ]

    /// Every window in every zone: the figures equal the reference's.
    static func expectSameFigures(_ db: PostgresConnection, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for zone in zones {
            for (since, until) in windows {
                let reference = try StatisticsRepository.referenceStatistics(db, since: since, until: until, timezone: zone)
                let figures = try StatisticsRepository.statistics(db, since: since, until: until, timezone: zone)
                #expect(figures == reference, "\(label): \(zone) \(since) ..< \(until)", sourceLocation: sourceLocation)
            }
        }
    }

    /// A varied history: two admins, ten users, sends in random order with ties, bulk inserts, reads and edits.
    static func writeHistory(_ db: PostgresConnection, seed: UInt64) throws -> (admins: [User], users: [User], messages: [UUID]) {
        var rng = SplitMix64(seed: seed)
        let admins = try (1...2).map { try UserRepository.insert(db, username: "admin\($0)", displayName: "Admin \($0)", isAdmin: true) }
        let users = try (1...10).map { try UserRepository.insert(db, username: "user\($0)", displayName: "User \($0)") }
        let conversations = try users.map { try ConversationRepository.insert(db, userId: $0.id) }
        var messages: [UUID] = []
        var times: [Timestamp] = []
        for _ in 0..<250 {
            let n = Int.random(in: 0..<users.count, using: &rng)
            let sender = Double.random(in: 0..<1, using: &rng) < 0.6 ? users[n] : admins[Int.random(in: 0..<2, using: &rng)]
            let createdAt =
                !times.isEmpty && Double.random(in: 0..<1, using: &rng) < 0.05
                ? times[Int.random(in: 0..<times.count, using: &rng)] : at(Double.random(in: 0..<(12 * 86_400), using: &rng).rounded())
            times.append(createdAt)
            messages.append(
                try db.query(
                    "INSERT INTO messages (conversation_id, sender_id, content, created_at) VALUES ($1, $2, 'text', $3) RETURNING id",
                    [conversations[n].id, sender.id, createdAt])[0].decode(0))
        }
        // Bulk inserts by SQL: one statement of 200 rows, and 20 rows at one instant in one conversation.
        try db.query(
            """
            INSERT INTO messages (conversation_id, sender_id, content, created_at)
            SELECT c.id, CASE WHEN i % 3 = 0 THEN $2::uuid ELSE c.user_id END, 'bulk', $1::timestamptz + i * interval '3001 seconds'
            FROM generate_series(1, 200) i JOIN LATERAL (SELECT id, user_id FROM conversations ORDER BY id OFFSET i % 10 LIMIT 1) c ON true
            """, [at(0), admins[0].id])
        try db.query(
            """
            INSERT INTO messages (conversation_id, sender_id, content, created_at)
            SELECT $1::uuid, CASE WHEN i % 2 = 0 THEN $2::uuid ELSE $3::uuid END, 'tie', $4::timestamptz FROM generate_series(1, 20) i
            """, [conversations[0].id, admins[1].id, users[0].id, at(4 * 86_400 + 1234)])
        try db.execute(
            """
            UPDATE messages SET read_at = created_at + interval '1 minute' WHERE content = 'bulk' AND extract(minute FROM created_at)::int % 2 = 0;
            UPDATE messages SET content = 'edited', edited_at = created_at + interval '1 minute' WHERE content = 'tie';
            """)
        return (admins, users, messages)
    }

    /// Deletes and restores, purges, a conversation, a user and an admin removed, a user made admin, messages moved in time.
    static func changeHistory(_ db: PostgresConnection, _ history: (admins: [User], users: [User], messages: [UUID]), seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let picked = history.messages.shuffled(using: &rng)
        for id in picked[0..<30] {
            try db.query("UPDATE messages SET deleted_at = created_at + interval '1 hour' WHERE id = $1", [id])
        }
        try db.query(
            "UPDATE messages SET deleted_at = now() WHERE id = ANY ($1::uuid[])",
            [picked[30..<50].map(\.uuidString).joined(separator: ",").wrappedInBraces])
        for id in picked[0..<10] { try db.query("UPDATE messages SET deleted_at = NULL WHERE id = $1", [id]) }
        try db.query(
            "DELETE FROM messages WHERE deleted_at IS NOT NULL AND id = ANY ($1::uuid[])",
            [picked[10..<40].map(\.uuidString).joined(separator: ",").wrappedInBraces])
        try db.query(
            "UPDATE messages SET created_at = created_at - interval '2 days 7 minutes' WHERE id = ANY ($1::uuid[])",
            [picked[50..<60].map(\.uuidString).joined(separator: ",").wrappedInBraces])
        try db.query("DELETE FROM users WHERE id = $1", [history.users[9].id])
        try db.query("DELETE FROM conversations WHERE user_id = $1", [history.users[8].id])
        try db.query("DELETE FROM users WHERE id = $1", [history.admins[1].id])
        try db.query("UPDATE users SET is_admin = true WHERE id = $1", [history.users[7].id])
    }

    @Test func theFiguresMatchTheReferenceThroughEveryKindOfWrite() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let history = try Self.writeHistory(db, seed: 31)
        try Self.expectSameFigures(db, "after the sends")
        try Self.changeHistory(db, history, seed: 32)
        try Self.expectSameFigures(db, "after deletes, purges and an admin flag")
        try db.execute("TRUNCATE messages CASCADE")
        try Self.expectSameFigures(db, "after TRUNCATE")
    }

    /// A message is its conversation's user's or the admins' by the conversation it is in: a user made admin (who
    /// goes on writing in their own conversation) and an admin who stops being one change no figure of the past.
    @Test func rolesChangedLaterChangeNoFigure() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let history = try Self.writeHistory(db, seed: 43)
        let (since, until) = Self.windows[0]
        let before = try StatisticsRepository.statistics(db, since: since, until: until, timezone: "UTC")
        try db.query("UPDATE users SET is_admin = true WHERE id = $1", [history.users[2].id])
        try db.query("UPDATE users SET is_admin = false WHERE id = $1", [history.admins[0].id])
        let after = try StatisticsRepository.statistics(db, since: since, until: until, timezone: "UTC")
        #expect(after == before)
        #expect(after.activeUsers == 10 && after.days.map(\.fromAdmins).reduce(0, +) > 0)
        try Self.expectSameFigures(db, "after roles changed")
    }

    /// Through the service, first response runs beside the other figures on a second connection: the same figures.
    @Test func theServiceRunsFirstResponseBesideTheRest() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let history = try Self.writeHistory(db, seed: 17)
        let pool = database.pool(size: 2)
        let service = MessagingService(pool: pool)
        for (since, until) in Self.windows {
            let figures = try await service.statistics(viewer: history.admins[0], since: since, until: until, timezone: "Asia/Kolkata")
            #expect(figures == (try StatisticsRepository.referenceStatistics(db, since: since, until: until, timezone: "Asia/Kolkata")))
        }
        // A zone PostgreSQL does not list (an abbreviation is not a zone either) is refused, whatever first response found.
        for zone in ["Mars/Olympus_Mons", "PST", "Europe/Paris'; --"] {
            let refused = await #expect(throws: ConfigurationError.self) {
                try await service.statistics(viewer: history.admins[0], since: Self.windows[0].0, until: Self.windows[0].1, timezone: zone)
            }
            #expect(refused?.message == "PostgreSQL does not know the time zone \(zone); set TZ to an IANA name such as Europe/Paris")
            // A setting to change: msgctl exits 78, as for a name that is no zone at all.
            #expect(refused.map { ExitStatus.forError($0) } == .config)
        }
        #expect(
            try await service.statistics(viewer: history.admins[0], since: Self.windows[0].0, until: Self.windows[0].1, timezone: "Europe/Paris")
                .timezone == "Europe/Paris")
        await pool.shutdown()
    }

    /// The cases the one pass hands on to a probe of the conversation: a wait answered only after the window's end, a
    /// wait whose next admin message shares its time (one transaction) with a later answer, and with none at all.
    @Test func waitsAnsweredPastTheWindowOrByAMessageOfTheSameInstant() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let admin = try UserRepository.insert(db, username: "admin", displayName: "Admin", isAdmin: true)
        let users = try (1...3).map { try UserRepository.insert(db, username: "user\($0)", displayName: "User \($0)") }
        let conversations = try users.map { try ConversationRepository.insert(db, userId: $0.id) }
        func send(_ n: Int, _ sender: User, _ seconds: Double) throws {
            try db.query(
                "INSERT INTO messages (conversation_id, sender_id, content, created_at) VALUES ($1, $2, 'text', $3)",
                [conversations[n].id, sender.id, Self.at(seconds)])
        }
        // 1: asked in the window, answered after it.
        try send(0, users[0], 100)
        try send(0, admin, 5000)
        // 2: the admin's message of the same instant does not answer it (answers come strictly later); the next does.
        try send(1, users[1], 200)
        try send(1, admin, 200)
        try send(1, admin, 4000)
        // 3: the same instant, and no later answer anywhere.
        try send(2, users[2], 300)
        try send(2, admin, 300)
        let figures = try StatisticsRepository.statistics(db, since: Self.at(0), until: Self.at(1000), timezone: "UTC")
        #expect(figures.firstResponse.answered == 2)
        #expect(figures.firstResponse.waiting == 1)
        #expect(figures.firstResponse.medianSeconds == 4350)
        #expect(figures == (try StatisticsRepository.referenceStatistics(db, since: Self.at(0), until: Self.at(1000), timezone: "UTC")))
        try Self.expectSameFigures(db, "edges")
    }

    /// The window's messages are read through the index on creation time, not by scanning the table.
    @Test func theWindowIsReadThroughTheCreationTimeIndex() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        _ = try Self.writeHistory(db, seed: 5)
        try db.execute("ANALYZE messages")
        let plan = try db.transaction {
            _ = try db.query("SELECT set_config('enable_seqscan', 'off', true)")
            return try db.query(
                "EXPLAIN (FORMAT TEXT) " + StatisticsRepository.firstResponseSQL, [Self.at(0), Self.at(86_400)]
            ).map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
        }
        #expect(plan.contains("idx_messages_created_at"), "\(plan)")
    }
}

extension String {
    fileprivate var wrappedInBraces: String { "{" + self + "}" }
}
