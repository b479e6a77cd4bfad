import Foundation
import MsgLib
import TestSupport
import Testing

/// The sending limits: buckets per sender kept in the database, taken in the statement that inserts the message.
@Suite(.needsDatabase) struct RateLimitTests {
    static func rateLimited(_ error: any Error) -> ServiceError? {
        guard let error = error as? ServiceError, error.kind == .rateLimited else { return nil }
        return error
    }

    @Test func concurrentSendsGetExactlyTheBurstThenOneMessagePerInterval() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let pool = database.pool(size: 8)
        // 120 per day: a burst of 120, then one every 12 minutes (so that however slowly this machine runs, nothing refills).
        let rules = MessagingRules(perMinute: 0, perHour: 0, perDay: 120)
        let service = MessagingService(pool: pool, rules: rules)
        let other = MessagingService(pool: database.pool(size: 4), rules: rules)
        _ = try await service.createConversation(viewer: f.alice, initialMessage: nil)
        // 150 sends at once, through two services (two processes' worth of pools).
        let outcomes = await withTaskGroup(of: Int?.self) { group in
            for i in 0..<150 {
                group.addTask {
                    do {
                        _ = try await (i % 2 == 0 ? service : other).sendMessage(viewer: f.alice, conversationId: nil, content: "m\(i)")
                        return 0
                    } catch {
                        return Self.rateLimited(error)?.retryAfter
                    }
                }
            }
            return await group.reduce(into: [Int?]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == 0 }.count == 120)
        #expect(outcomes.filter { ($0 ?? 0) >= 1 && ($0 ?? 0) <= 720 }.count == 30, "every refusal is a 429 with Retry-After: \(outcomes)")
        let stored = try database.connect().scalar("SELECT count(*) FROM messages WHERE sender_id = $1", [f.alice.id], as: Int.self)
        #expect(stored == 120)
        // A refused message took nothing: refused again at once; admitted once one interval has passed (the bucket is
        // moved back in time, as 12 minutes would), then refused.
        await #expect(throws: ServiceError.self) { try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "x") }
        let db = try database.connect()
        try db.query("UPDATE sender_rate_limits SET day_tat = day_tat - interval '720 seconds' WHERE sender_id = $1", [f.alice.id])
        _ = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "after the interval")
        do {
            _ = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "too soon")
            Issue.record("a second message within the interval was admitted")
        } catch {
            let refusal = try #require(Self.rateLimited(error))
            #expect(refusal.message == "Rate limit exceeded: at most 120 messages per day")
            #expect((1...720).contains(refusal.retryAfter ?? 0))
        }
        // Others are not held back, admins never.
        _ = try await service.sendMessage(viewer: f.bob, conversationId: nil, content: "bob")
        let conversation = try #require(try ConversationRepository.find(db, userId: f.alice.id))
        for i in 0..<200 { _ = try await service.sendMessage(viewer: f.admin, conversationId: conversation.id, content: "reply \(i)") }
        await pool.shutdown()
    }

    @Test func retryAfterNamesTheWindowThatWaitsLongest() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        // 3 per hour (20 min apart) and 4 per day (6 h apart): after 3, the hour says 20 min; after 4, the day says 6 h.
        let service = MessagingService(pool: database.pool(size: 2), rules: MessagingRules(perMinute: 0, perHour: 3, perDay: 4))
        for i in 0..<3 { _ = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "m\(i)") }
        do {
            _ = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "fourth")
            Issue.record("the fourth message in a minute was admitted")
        } catch {
            let refusal = try #require(Self.rateLimited(error))
            #expect(refusal.message == "Rate limit exceeded: at most 3 messages per hour")
            #expect((1100...1200).contains(refusal.retryAfter ?? 0))
        }
        // Move the hour bucket back in time as if 20 min had passed; the day bucket has one message left.
        let db = try database.connect()
        try db.query("UPDATE sender_rate_limits SET hour_tat = hour_tat - interval '20 minutes' WHERE sender_id = $1", [f.alice.id])
        _ = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "fourth, later")
        try db.query("UPDATE sender_rate_limits SET hour_tat = now() - interval '1 hour' WHERE sender_id = $1", [f.alice.id])
        do {
            _ = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "fifth")
            Issue.record("the fifth message in a day was admitted")
        } catch {
            let refusal = try #require(Self.rateLimited(error))
            #expect(refusal.message == "Rate limit exceeded: at most 4 messages per day")
            #expect((6 * 3600 - 60...6 * 3600).contains(refusal.retryAfter ?? 0))
        }
    }
}
