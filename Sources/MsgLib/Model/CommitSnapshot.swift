import Foundation

/// Which committed transactions a PostgreSQL snapshot (`pg_current_snapshot()`) shows, with the server's clock
/// when it was taken: the unit in which messages are delivered and resumed.
///
/// Every message stores the id of the transaction that inserted it (`messages.txid`). A message is *in* a
/// snapshot when that transaction is visible in it: below `xmax` and not in `xip` (the transactions still running
/// when the snapshot was taken). Snapshots taken one after another on the same server only ever show more, so
/// "visible in S" is a prefix of the commit order, whatever order the ids were made in.
///
/// The clock guards against a failover that reuses transaction ids (a promoted standby starts numbering after the last
/// id it replayed, and transactions that committed without waiting for it, as announcements do, leave ids it never
/// saw): a message whose id (UUIDv7, made by the server's clock before its commit) is more than ``clockMargin`` newer
/// than the snapshot is never taken as shown by it. Every message a snapshot shows committed before it was taken, so
/// its id is older than the snapshot's clock; a failover takes longer than the margin.
public struct CommitSnapshot: Sendable, Hashable {
    /// Every transaction below this one had ended when the snapshot was taken.
    public var xmin: UInt64
    /// The first transaction id not yet assigned.
    public var xmax: UInt64
    /// Transactions in progress, sorted; each in `xmin..<xmax`.
    public var xip: [UInt64]
    /// The server's clock right after the snapshot, milliseconds since 1970.
    public var takenAtMillis: Int64

    /// How much newer than ``takenAtMillis`` a message id may be and still count as shown: room for the clock's
    /// millisecond rounding and for ids made faster than the clock ticks, far less than a failover lasts.
    public static let clockMargin: Int64 = 50

    public init(xmin: UInt64, xmax: UInt64, xip: [UInt64], takenAtMillis: Int64) {
        self.xmin = xmin
        self.xmax = xmax
        self.xip = xip.sorted()
        self.takenAtMillis = takenAtMillis
    }

    /// Parses PostgreSQL's text form, `xmin:xmax:xip,xip,...`.
    public init?(postgres text: some StringProtocol, takenAtMillis: Int64) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let xmin = UInt64(parts[0]), let xmax = UInt64(parts[1]), xmin <= xmax else { return nil }
        var xip: [UInt64] = []
        for item in parts[2].split(separator: ",") {
            guard let x = UInt64(item), x >= xmin, x < xmax else { return nil }
            xip.append(x)
        }
        self.init(xmin: xmin, xmax: xmax, xip: xip, takenAtMillis: takenAtMillis)
    }

    /// PostgreSQL's text form (a `pg_snapshot` literal).
    public var postgresText: String {
        "\(xmin):\(xmax):" + xip.map(String.init).joined(separator: ",")
    }

    /// True when the message stored by transaction `txid` (nil: stored before transactions were recorded) with
    /// `id` is visible in this snapshot.
    public func shows(txid: UInt64?, id: UUID) -> Bool {
        guard let txid else { return true }
        return txid < xmax && !isInProgress(txid) && showsClock(id.v7Millis)
    }

    /// True when a message whose id carries the clock `millis` is in this snapshot once its transaction is.
    public func showsClock(_ millis: Int64) -> Bool {
        millis <= takenAtMillis + Self.clockMargin
    }

    /// True when transaction `txid` is visible in this snapshot (it committed before the snapshot was taken).
    public func shows(transaction txid: UInt64) -> Bool {
        txid < xmax && !isInProgress(txid)
    }

    /// This snapshot and transaction `txid`, known to have committed, whose messages' ids are at most `newestMillis`
    /// old: what a snapshot taken right after that commit shows at least, without asking the server. Transactions the
    /// server numbered between this snapshot and `txid` count as in progress (a later snapshot settles them), so the
    /// result shows nothing that has not committed, and every snapshot taken after the commit covers it.
    /// - Returns: nil when more than `maxInProgress` transactions would count as in progress (take a snapshot instead).
    public func adding(committed txid: UInt64, newestMillis: Int64, maxInProgress: Int) -> CommitSnapshot? {
        var xip = self.xip.filter { $0 != txid }
        if txid >= xmax {
            guard txid - xmax <= UInt64(maxInProgress) else { return nil }
            // Across an epoch's end the ids between are not all transactions (0 to 2 never are): read a snapshot.
            guard xmax >> 32 == (txid + 1) >> 32, Self.isNormal(txid + 1) else { return nil }
            xip += Array(xmax..<txid)
        }
        guard xip.count <= maxInProgress else { return nil }
        let xmax = max(self.xmax, txid + 1)
        return CommitSnapshot(xmin: xip.first ?? xmax, xmax: xmax, xip: xip, takenAtMillis: max(takenAtMillis, newestMillis))
    }

    /// `items`, committed and visible in this snapshot, split into those whose ids its clock shows and the clock of
    /// the oldest of the others: ahead of the clock, they wait for a later snapshot.
    public func splitByClock<Item>(_ items: [Item], clock: (Item) throws -> Int64) rethrows -> (shown: [Item], waiting: Int64?) {
        var shown: [Item] = []
        var waiting: Int64?
        for item in items {
            let millis = try clock(item)
            if showsClock(millis) {
                shown.append(item)
            } else {
                waiting = min(waiting ?? .max, millis)
            }
        }
        return (shown, waiting)
    }

    /// This snapshot with its clock moved forward to `millis` when it is behind: the same transactions, and every
    /// message id up to that clock.
    public func withClock(atLeast millis: Int64) -> CommitSnapshot {
        var snapshot = self
        snapshot.takenAtMillis = max(takenAtMillis, millis)
        return snapshot
    }

    /// The most transactions in progress a token may list (PostgreSQL's snapshots list one per running transaction:
    /// `max_connections` and prepared ones).
    static let maxInProgressInToken = 10_000

    /// False for the ids PostgreSQL never gives a transaction (0, 1 and 2 of each epoch), which its snapshot text refuses.
    static func isNormal(_ txid: UInt64) -> Bool { txid & 0xFFFF_FFFF >= 3 }

    /// The clock values a snapshot can carry: those a UUIDv7 can (48 bits of milliseconds). A token from a client is
    /// refused outside them, so that ``clockMargin`` can be added to any snapshot's clock.
    static let validMillis: ClosedRange<Int64> = 0...((1 << 48) - 1)

    /// The largest id a message shown by this snapshot can have (see ``clockMargin``).
    public var idBound: UUID { UUID(v7Millis: takenAtMillis + Self.clockMargin, fill: 0xFF) }

    /// True when every transaction visible in `other` is visible in this one: this snapshot was taken later on the
    /// same server (or is the same).
    public func covers(_ other: CommitSnapshot) -> Bool {
        guard xmax >= other.xmax else { return false }
        for x in xip where x < other.xmax && !other.isInProgress(x) { return false }
        return true
    }

    private func isInProgress(_ txid: UInt64) -> Bool {
        var low = 0
        var high = xip.count
        while low < high {
            let mid = (low + high) / 2
            if xip[mid] < txid { low = mid + 1 } else { high = mid }
        }
        return low < xip.count && xip[low] == txid
    }
}

extension CommitSnapshot {
    /// A compact, URL-safe text form: `xmin.(xmax-xmin).offsets-of-xip.millis`, offsets from `xmin` joined by `-`.
    public var token: String {
        "\(xmin).\(xmax - xmin).\(xip.map { String($0 - xmin) }.joined(separator: "-")).\(takenAtMillis)"
    }

    /// Parses ``token``.
    public init?(token: some StringProtocol) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, let xmin = UInt64(parts[0]), let span = UInt64(parts[1]), let millis = Int64(parts[3]),
            Self.validMillis.contains(millis)
        else { return nil }
        let (xmax, overflow) = xmin.addingReportingOverflow(span)
        guard !overflow, parts[2].count <= 200_000, Self.isNormal(xmin), Self.isNormal(xmax) else { return nil }
        var xip: [UInt64] = []
        for item in parts[2].split(separator: "-") {
            // As PostgreSQL lists them: increasing, normal ids, at most as many as a server runs transactions at once.
            guard let offset = UInt64(item), offset < span, xip.last.map({ xmin + offset > $0 }) ?? true, Self.isNormal(xmin + offset),
                xip.count < Self.maxInProgressInToken
            else { return nil }
            xip.append(xmin + offset)
        }
        self.init(xmin: xmin, xmax: xmax, xip: xip, takenAtMillis: millis)
    }
}

extension UUID {
    /// The milliseconds since 1970 in a UUIDv7's first 48 bits.
    public var v7Millis: Int64 {
        let b = uuid
        return [b.0, b.1, b.2, b.3, b.4, b.5].reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }

    /// A UUID whose first 48 bits are `millis` (clamped to what 48 bits hold) and whose other bytes are all `fill` (a
    /// bound for range queries).
    init(v7Millis millis: Int64, fill: UInt8) {
        let m = UInt64(clamping: min(max(0, millis), CommitSnapshot.validMillis.upperBound))
        func byte(_ shift: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: m >> shift) }
        self.init(
            uuid: (byte(40), byte(32), byte(24), byte(16), byte(8), byte(0), fill, fill, fill, fill, fill, fill, fill, fill, fill, fill))
    }

    /// Orders UUIDs as PostgreSQL does: byte by byte.
    public static func precedes(_ a: UUID, _ b: UUID) -> Bool {
        withUnsafeBytes(of: a.uuid) { x in withUnsafeBytes(of: b.uuid) { y in x.lexicographicallyPrecedes(y) } }
    }
}
