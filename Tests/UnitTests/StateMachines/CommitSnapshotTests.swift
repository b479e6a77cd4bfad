import Foundation
import MsgLib
import TestSupport
import Testing

/// Snapshots and cursors decide which messages a batch or a resume holds: checked here against a model of
/// transactions committing in an order other than their ids.
@Suite struct CommitSnapshotTests {
    static let now: Int64 = 1_764_884_000_000

    static func id(millis: Int64, _ n: UInt8) -> UUID {
        let m = UInt64(millis)
        func b(_ s: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: m >> s) }
        return UUID(uuid: (b(40), b(32), b(24), b(16), b(8), b(0), 0x70, n, 0x80, 0, 0, 0, 0, 0, 0, n))
    }

    @Test func parsesPostgresText() throws {
        let s = try #require(CommitSnapshot(postgres: "100:105:101,103", takenAtMillis: Self.now))
        #expect(s.xmin == 100 && s.xmax == 105 && s.xip == [101, 103])
        #expect(s.postgresText == "100:105:101,103")
        #expect(CommitSnapshot(postgres: "100:100:", takenAtMillis: 0)?.xip == [])
        for bad in ["", "1:2", "5:4:", "1:5:7", "1:5:0", "a:b:", "1:5:2,x"] {
            #expect(CommitSnapshot(postgres: bad, takenAtMillis: 0) == nil, "\(bad)")
        }
    }

    @Test func visibility() {
        let s = CommitSnapshot(xmin: 100, xmax: 105, xip: [101, 103], takenAtMillis: Self.now)
        let old = Self.id(millis: Self.now - 10, 1)
        #expect(s.shows(txid: 99, id: old))
        #expect(s.shows(txid: 100, id: old))
        #expect(!s.shows(txid: 101, id: old))
        #expect(s.shows(txid: 102, id: old))
        #expect(!s.shows(txid: 103, id: old))
        #expect(s.shows(txid: 104, id: old))
        #expect(!s.shows(txid: 105, id: old))
        #expect(s.shows(txid: nil, id: old))
        // An id from well after the snapshot (a transaction id reused after a failover) is never shown.
        #expect(!s.shows(txid: 100, id: Self.id(millis: Self.now + CommitSnapshot.clockMargin + 5, 1)))
        #expect(s.shows(txid: 100, id: Self.id(millis: Self.now + CommitSnapshot.clockMargin, 1)))
        #expect(!UUID.precedes(s.idBound, Self.id(millis: Self.now + CommitSnapshot.clockMargin, 255)))
    }

    @Test func coversLaterSnapshotsOnly() {
        let early = CommitSnapshot(xmin: 100, xmax: 105, xip: [101, 103], takenAtMillis: Self.now)
        let later = CommitSnapshot(xmin: 101, xmax: 108, xip: [101, 106], takenAtMillis: Self.now + 5)
        #expect(later.covers(early))
        #expect(!early.covers(later))
        #expect(early.covers(early))
        // 103 committed in `later` but ran in `early`; the reverse would mean `later` lost a commit.
        let inconsistent = CommitSnapshot(xmin: 100, xmax: 108, xip: [102], takenAtMillis: Self.now + 5)
        #expect(!inconsistent.covers(early))
    }

    @Test func tokensRoundTripAndRejectJunk() throws {
        let s = CommitSnapshot(xmin: 812_345, xmax: 812_350, xip: [812_346, 812_348], takenAtMillis: Self.now)
        #expect(s.token == "812345.5.1-3.\(Self.now)")
        #expect(CommitSnapshot(token: s.token) == s)
        let cursor = ResumeCursor(
            base: s, end: CommitSnapshot(xmin: 812_346, xmax: 812_360, xip: [812_346], takenAtMillis: Self.now + 9),
            lastId: Self.id(millis: Self.now, 7))
        #expect(ResumeCursor(token: cursor.token) == cursor)
        #expect(cursor.token.allSatisfy { $0.isLetter || $0.isNumber || "~.-".contains($0) })
        let complete = ResumeCursor(complete: s)
        #expect(ResumeCursor(token: complete.token) == complete)
        for bad in [
            "", "~~", "1.2.3~1.2.3~", "1.0..5~1.0..5~xyz", "1.5.7.0~1.5..0~", "1.0..0~1.0..0~" + String(repeating: "g", count: 32),
            "18446744073709551615.5..0~1.0..0~", "1.0..0~1.0..0", "1.0..0~1.0..0~~",
            // Clocks no UUIDv7 can carry: the margin added to them would overflow.
            "1.0..9223372036854775807~1.0..0~", "1.0..0~1.0..9223372036854775807~", "1.0..-1~1.0..0~", "1.0..281474976710656~1.0..0~",
        ] {
            #expect(ResumeCursor(token: bad) == nil, "\(bad)")
        }
        #expect(throws: ResumePointError.self) { try ResumePoint.parse(cursor: "nope", lastMessageId: nil) }
        #expect(throws: ResumePointError.self) { try ResumePoint.parse(cursor: nil, lastMessageId: "nope") }
        #expect(try ResumePoint.parse(cursor: nil, lastMessageId: nil) == nil)
        #expect(try ResumePoint.parse(cursor: complete.token, lastMessageId: "nope") == .cursor(complete))
        // What PostgreSQL never writes: ids 0 to 2 of an epoch, in-progress ids out of order or repeated, more of them
        // than a server runs at once.
        for bad in [
            "1.0..0~1.0..0~", "4294967296.5..0~4294967296.5..0~", "3.4294967293..0~3.4294967293..0~", "3.5.1-1~3.5.1-1~",
            "3.5.2-1~3.5.2-1~", "3.20000." + (1...10_001).map(String.init).joined(separator: "-") + ".0~3.20000..0~",
        ] {
            #expect(ResumeCursor(token: bad) == nil, "\(bad.prefix(60))")
        }
        let latest = CommitSnapshot(xmin: 3, xmax: 3, xip: [], takenAtMillis: 281_474_976_710_655)
        #expect(CommitSnapshot(token: latest.token) == latest)
        #expect(latest.idBound.v7Millis == 281_474_976_710_655)
    }

    /// Transactions take ids in one order and commit in another; a relay takes snapshots between commits and
    /// delivers each batch in id order; a client stops after any frame and resumes from its cursor. Whatever the
    /// interleaving, the client ends with every message exactly once.
    @Test(arguments: 0..<200)
    func resumeFromAnyFrameIsExactlyOnce(seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed) &+ 1)
        let count = 12
        // Message i: transaction 100 + i, id made at time order[i] (ids and transactions disagree).
        let idOrder = (0..<count).shuffled(using: &generator)
        let commitOrder = (0..<count).shuffled(using: &generator)
        let ids = (0..<count).map { Self.id(millis: Self.now, UInt8(idOrder[$0] + 1)) }
        let txids = (0..<count).map { UInt64(100 + $0) }
        var committed = Set<Int>()
        var snapshots: [CommitSnapshot] = []
        func snapshot() -> CommitSnapshot {
            let running = (0..<count).filter { !committed.contains($0) }.map { txids[$0] }
            return CommitSnapshot(xmin: running.min() ?? 100 + UInt64(count), xmax: 100 + UInt64(count), xip: running, takenAtMillis: Self.now)
        }
        snapshots.append(snapshot())
        for i in commitOrder {
            committed.insert(i)
            if Bool.random(using: &generator) { snapshots.append(snapshot()) }
        }
        snapshots.append(snapshot())
        let frames = Self.frames(between: snapshots, txids: txids, ids: ids)
        #expect(frames.count == count)
        Self.expectEveryResumeExactlyOnce(frames, final: snapshots.last!, txids: txids, ids: ids)
    }

    /// The frames a relay sends for these batches: per batch, the new messages in id order, each with (previous, this,
    /// id). Message i has transaction `txids[i]` and id `ids[i]`.
    static func frames(between snapshots: [CommitSnapshot], txids: [UInt64], ids: [UUID]) -> [(message: Int, cursor: ResumeCursor)] {
        var frames: [(message: Int, cursor: ResumeCursor)] = []
        for (base, end) in zip(snapshots, snapshots.dropFirst()) {
            let batch = ids.indices.filter { !base.shows(txid: txids[$0], id: ids[$0]) && end.shows(txid: txids[$0], id: ids[$0]) }
                .sorted { UUID.precedes(ids[$0], ids[$1]) }
            frames += batch.map { ($0, ResumeCursor(base: base, end: end, lastId: ids[$0])) }
        }
        return frames
    }

    /// A client that stops after any of `frames` and resumes from its cursor ends with every message once: what it
    /// received, and what a resume replays (the messages the cursor does not have, visible in `final`).
    static func expectEveryResumeExactlyOnce(
        _ frames: [(message: Int, cursor: ResumeCursor)], final: CommitSnapshot, txids: [UInt64], ids: [UUID]
    ) {
        for stop in frames.indices {
            let received = frames[...stop].map(\.message)
            let cursor = frames[stop].cursor
            let replayed = ids.indices.filter { !cursor.has(txid: txids[$0], id: ids[$0]) && final.shows(txid: txids[$0], id: ids[$0]) }
            #expect((received + replayed).sorted() == Array(ids.indices), "stop \(stop)")
        }
    }

    /// A relay moves its frontier past each transaction it committed itself without asking the server
    /// (``CommitSnapshot/adding(committed:newestMillis:maxInProgress:)``), between real snapshots: every message is still
    /// in exactly one batch, each frontier covers the one before, every later real snapshot covers them, and a resume
    /// from any frame is exactly once.
    @Test(arguments: 0..<200)
    func frontiersMovedWithoutASnapshotStayExactlyOnce(seed: Int) throws {
        var generator = SplitMix64(seed: UInt64(seed) &+ 1_000)
        let count = 12
        let idOrder = (0..<count).shuffled(using: &generator)
        let commitOrder = (0..<count).shuffled(using: &generator)
        let local = (0..<count).map { _ in Bool.random(using: &generator) }
        let ids = (0..<count).map { Self.id(millis: Self.now, UInt8(idOrder[$0] + 1)) }
        let txids = (0..<count).map { UInt64(100 + $0) }
        var committed = Set<Int>()
        func snapshot() -> CommitSnapshot {
            let running = (0..<count).filter { !committed.contains($0) }.map { txids[$0] }
            return CommitSnapshot(xmin: running.min() ?? 100 + UInt64(count), xmax: 100 + UInt64(count), xip: running, takenAtMillis: Self.now)
        }
        // The first snapshot may be taken before later transactions had ids.
        var frontiers = [CommitSnapshot(xmin: 100, xmax: 100 + UInt64.random(in: 0...4, using: &generator), xip: [], takenAtMillis: Self.now)]
        frontiers[0].xip = Array(frontiers[0].xmin..<frontiers[0].xmax)
        var real: [CommitSnapshot] = []
        for i in commitOrder {
            committed.insert(i)
            let frontier = frontiers.last!
            if local[i], Bool.random(using: &generator), !frontier.shows(transaction: txids[i]) {
                let next = try #require(frontier.adding(committed: txids[i], newestMillis: Self.now, maxInProgress: count))
                #expect(next.shows(transaction: txids[i]) && next.covers(frontier))
                frontiers.append(next)
            } else if Bool.random(using: &generator) {
                real.append(snapshot())
                frontiers.append(real.last!)
            }
        }
        frontiers.append(snapshot())
        for (earlier, later) in zip(frontiers, frontiers.dropFirst()) { #expect(later.covers(earlier)) }
        // Nothing shown that had not committed: the last snapshot covers every frontier.
        for frontier in frontiers { #expect(frontiers.last!.covers(frontier)) }
        let frames = Self.frames(between: frontiers, txids: txids, ids: ids)
        #expect(frames.map(\.message).sorted() == Array(0..<count))
        Self.expectEveryResumeExactlyOnce(frames, final: frontiers.last!, txids: txids, ids: ids)
    }

    @Test func aFrontierMovedWithoutASnapshotIsBounded() throws {
        let s = CommitSnapshot(xmin: 100, xmax: 105, xip: [101, 103], takenAtMillis: Self.now)
        // 103 was in progress: now shown, nothing else changes but the clock.
        let a = try #require(s.adding(committed: 103, newestMillis: Self.now + 7, maxInProgress: 4))
        #expect(a.xmin == 101 && a.xmax == 105 && a.xip == [101] && a.takenAtMillis == Self.now + 7)
        // 108 is new: 105 to 107 count as in progress.
        let b = try #require(s.adding(committed: 108, newestMillis: Self.now - 7, maxInProgress: 5))
        #expect(b.xmin == 101 && b.xmax == 109 && b.xip == [101, 103, 105, 106, 107] && b.takenAtMillis == Self.now)
        #expect(s.adding(committed: 108, newestMillis: Self.now, maxInProgress: 4) == nil)
        #expect(s.adding(committed: 10_000_000, newestMillis: Self.now, maxInProgress: 16) == nil)
        // At an epoch's end (the next id would be 0, 1 or 2 of the next epoch, which PostgreSQL's snapshots refuse):
        // a snapshot is read instead.
        let edge = CommitSnapshot(xmin: (1 << 32) - 5, xmax: (1 << 32) - 3, xip: [], takenAtMillis: Self.now)
        #expect(edge.adding(committed: (1 << 32) - 3, newestMillis: Self.now, maxInProgress: 16) != nil)
        #expect(edge.adding(committed: (1 << 32) - 1, newestMillis: Self.now, maxInProgress: 16) == nil)
        #expect(edge.adding(committed: (1 << 32) + 3, newestMillis: Self.now, maxInProgress: 16) == nil)
    }
}
