import Foundation
import Logging
import RelayKit
import Synchronization
import TestSupport
import Testing

@testable import MsgLib

/// A relay's announcements to the others are paced: however many batches commit, one announcement at most per
/// interval, and the last one names the newest message asked for (which the other relays' sweeps then read up to).
@Suite(.needsDatabase) struct CommitAnnouncerTests {
    @Test func aBurstOfCommitsIsAnnouncedAtMostOncePerIntervalEndingWithTheNewest() async throws {
        let database = try await TestDatabase.create()
        let listener = try database.connect()
        defer { listener.close() }
        try listener.execute("LISTEN \(RealtimeEvent.channel)")
        let pool = database.pool(size: 2)
        let announcements = Atomic<Int>(0)
        let announcer = CommitAnnouncer(
            pool: pool, logger: Logger(label: "test"), interval: .milliseconds(300), announced: { _ in announcements.add(1, ordering: .relaxed) })
        let running = Task { try await announcer.run() }
        defer { running.cancel() }

        // 60 commits asked to be announced over about 0.6 s: two intervals' worth.
        let sender = User(id: UUID(), username: "u", displayName: "U", slug: "u", isAdmin: false, createdAt: .now())
        let conversation = UUID()
        let items = (0..<60).map { i in
            DeliverableMessage(
                message: Message(id: UUID(), conversationId: conversation, senderId: sender.id, content: "m\(i)", createdAt: .now()),
                sender: sender, conversationUserId: sender.id)
        }
        let started = ContinuousClock.now
        for item in items {
            announcer.announce(item)
            try await Task.sleep(for: .milliseconds(10))
        }
        let asked = ContinuousClock.now - started

        // The last one asked for is announced, within an interval of the burst's end.
        let newest = "\"id\":\"\(items.last!.message.id.lowercasedString)\""
        var payloads: [String] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while !payloads.contains(where: { $0.contains(newest) }) {
            try #require(ContinuousClock.now < deadline, "the newest message was never announced: \(payloads)")
            payloads += try listener.takeNotifications().map(\.payload)
            try await Task.sleep(for: .milliseconds(5))
        }
        let made = announcements.load(ordering: .relaxed)
        let intervals = Int((asked / .milliseconds(300)).rounded(.up))
        #expect(made >= 2 && made <= intervals + 1, "\(made) announcements for 60 commits over \(asked)")
        #expect(payloads.count == made, "one notification per announcement: \(payloads.count) for \(made)")
    }
}
