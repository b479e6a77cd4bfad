import Foundation
import Testing

@testable import MsgLib
@testable import MsgctlKit

/// Where msgctl's socket resumes from: the last message's cursor, and after a replay cut short, a `resume` for the
/// rest before any live frame's cursor counts.
@Suite struct ResumeTrackerTests {
    static let snapshot = CommitSnapshot(xmin: 10, xmax: 12, xip: [], takenAtMillis: 1_764_000_000_000)

    /// A cursor token for message `id`.
    static func cursor(_ id: UUID) -> String { ResumeCursor(base: snapshot, end: snapshot, lastId: id).token }

    static func message(_ id: UUID, cursor: Bool = true) -> ServerFrame {
        .message(TailFollowerTests.representation(id.lowercasedString, cursor: cursor ? Self.cursor(id) : nil))
    }

    static func ids(_ count: Int) -> [UUID] { (0..<count).map { _ in UUID() } }

    /// Given where the caller started, the first socket resumes from there (not from the unread list), and the next
    /// ones from what it received.
    @Test func theFirstSocketResumesFromTheStartGiven() {
        let start = ResumeCursor(complete: Self.snapshot).token
        var tracker = ResumeTracker(cursor: start)
        #expect(tracker.opening() == "cursor=\(start)")
        let id = UUID()
        _ = tracker.received(Self.message(id))
        #expect(tracker.opening() == "cursor=\(Self.cursor(id))")
    }

    @Test func aSocketResumesFromTheLastMessagesCursor() {
        var tracker = ResumeTracker()
        #expect(tracker.opening() == nil)
        #expect(tracker.received(.replayed(count: 0, truncated: false, cursor: Self.cursor(UUID()))) == nil)
        let live = UUID()
        #expect(tracker.received(Self.message(live)) == nil)
        #expect(tracker.opening() == "cursor=\(Self.cursor(live))")
    }

    @Test func aReplayCutShortIsAskedForTheRestAndLiveCursorsWaitUntilItIsWhole() throws {
        var tracker = ResumeTracker()
        tracker.saw(messageId: "0")
        let start = UUID()
        #expect(tracker.received(Self.message(start)) == nil)
        _ = tracker.opening()
        let page = Self.ids(3)
        for id in page { #expect(tracker.received(Self.message(id)) == nil) }
        let resume = tracker.received(.replayed(count: 3, truncated: true, cursor: nil))
        #expect(resume == .resume(.cursor(try #require(ResumeCursor(token: Self.cursor(page[2]))))))
        #expect(tracker.catchingUp)
        // A live message while the rest is asked for: shown, but its cursor would pass the gap.
        let live = UUID()
        #expect(tracker.received(Self.message(live)) == nil)
        #expect(tracker.opening() == "cursor=\(Self.cursor(page[2]))")
        // The next page ends it: from now on live cursors count again.
        let last = UUID()
        #expect(tracker.received(Self.message(last)) == nil)
        #expect(tracker.received(.replayed(count: 1, truncated: false, cursor: nil)) == nil)
        #expect(!tracker.catchingUp)
        let after = UUID()
        _ = tracker.received(Self.message(after))
        #expect(tracker.opening() == "cursor=\(Self.cursor(after))")
    }

    @Test func aCutShortListOfUnreadMessagesIsNotResumed() {
        var tracker = ResumeTracker()
        #expect(tracker.opening() == nil)
        for id in Self.ids(2) { _ = tracker.received(Self.message(id, cursor: false)) }
        #expect(tracker.received(.replayed(count: 2, truncated: true, cursor: nil)) == nil)
        #expect(!tracker.catchingUp)
    }

    @Test func aReplayByIdCutShortResumesByIdAndLiveIdsDoNotMoveItsPoint() throws {
        var tracker = ResumeTracker()
        let seen = UUID()
        tracker.saw(messageId: seen.lowercasedString)
        #expect(tracker.opening() == "last_message_id=\(seen.lowercasedString)")
        let page = Self.ids(2)
        for id in page { _ = tracker.received(Self.message(id, cursor: false)) }
        #expect(tracker.received(.replayed(count: 2, truncated: true, cursor: nil)) == .resume(.messageId(page[1])))
        // A live message with a later id: a socket opened now resumes from the page, not from it.
        _ = tracker.received(Self.message(UUID(uuidString: "ffffffff-ffff-7fff-bfff-ffffffffffff")!, cursor: false))
        #expect(tracker.opening() == "last_message_id=\(page[1].lowercasedString)")
    }

    @Test func aCutShortReplayWithNothingToResumeFromIsNotRepeated() {
        var tracker = ResumeTracker()
        let start = UUID()
        _ = tracker.received(Self.message(start))
        _ = tracker.opening()
        // The byte budget went to reaction changes: no message replayed.
        #expect(tracker.received(.replayed(count: 0, truncated: true, cursor: nil)) == nil)
        // The last replayed message came without a cursor (it would claim reaction changes left out).
        _ = tracker.opening()
        _ = tracker.received(Self.message(UUID(), cursor: false))
        #expect(tracker.received(.replayed(count: 1, truncated: true, cursor: nil)) == nil)
        #expect(tracker.opening() == "cursor=\(Self.cursor(start))")
    }

    /// A socket that ended before its unread messages were all replayed: the next one resumes after the last message
    /// seen, and a page of that replay cut short is followed up like any other.
    @Test func aSocketLostDuringItsUnreadReplayResumesLikeAnyOther() {
        var tracker = ResumeTracker()
        #expect(tracker.opening() == nil)
        let seen = UUID()
        _ = tracker.received(Self.message(seen, cursor: false))
        #expect(tracker.opening() == "last_message_id=\(seen.lowercasedString)")
        let page = Self.ids(2)
        for id in page { _ = tracker.received(Self.message(id, cursor: false)) }
        #expect(tracker.received(.replayed(count: 2, truncated: true, cursor: nil)) == .resume(.messageId(page[1])))
    }
}
