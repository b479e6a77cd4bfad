import Foundation

extension MessagingService {
    /// The database's current snapshot: where a relay starts following commits.
    public func currentSnapshot() async throws -> CommitSnapshot {
        try await pool.withConnection { db in try DeliveryRepository.currentSnapshot(db) }
    }

    /// A snapshot taken now on `db` and the visible messages committed since `frontier` (in it, not in `frontier`), in
    /// id order, each with its transaction: a relay's next batch; and the clock of the oldest message committed but
    /// ahead of the snapshot's clock, which waits for a later snapshot (see ``DeliveryRepository/committed(_:since:limit:)``).
    /// At most `limit` messages: nil when more were committed.
    package static func committedMessages(on db: PostgresConnection, since frontier: CommitSnapshot, limit: Int) throws -> (
        snapshot: CommitSnapshot, messages: [DeliverableMessage]?, waiting: Int64?
    ) {
        try DeliveryRepository.committed(db, since: frontier, limit: limit)
    }

    /// Messages read since `time`, in the order they were read: receipts a listener missed while its connection was down.
    public func readReceipts(since time: Timestamp) async throws -> [DeliverableMessage] {
        try await pool.withConnection { db in try DeliveryRepository.reads(db, since: time) }
    }

    /// The ids and read times of the newest `limit` messages read since `time` in the conversations `viewer` sees, in
    /// the order they were read: receipts a socket resuming may have missed while it was gone.
    public func readReceipts(viewer: User, since time: Timestamp, limit: Int) async throws -> [(messageId: UUID, readAt: Timestamp)] {
        try await pool.withConnection { db in try DeliveryRepository.reads(db, since: time, viewer: viewer, limit: limit) }
    }
}

extension MessagingService {
    /// Subscribes a listener's own connection to the events of every relay (`LISTEN`); its notifications are then
    /// read with `takeNotifications()` and parsed as ``RealtimeEvent``s.
    package static func listenForEvents(on db: PostgresConnection) throws {
        try DeliveryRepository.listen(db)
    }

    /// Proves a listener's connection alive by a round trip that must end within `timeout` seconds (the connection is
    /// closed when it does not); returns the server's clock at the answer.
    package static func probeListener(on db: PostgresConnection, timeout: Double) throws -> Timestamp {
        try DeliveryRepository.probe(db, timeout: timeout)
    }

    /// Claims, for the session of `db` (a listener's), the right to count the messages that processes without metrics
    /// of their own (msgctl) commit; one relay at a time holds it, until its session ends.
    /// - Returns: true when this session holds it now (it may have already).
    package static func claimCounting(on db: PostgresConnection) throws -> Bool {
        try DeliveryRepository.claimCounting(db)
    }
}

extension MessagingService {
    /// Announces a committed message (and every one before it) to the relays, in a transaction of its own on a
    /// connection of `pool` (static: a relay builds its announcer before its service).
    /// - Returns: the id of the announcing transaction, which inserted no message.
    public static func announce(_ item: DeliverableMessage, origin: UUID, pool: DatabasePool) async throws -> UInt64 {
        try await pool.withConnection { db in try DeliveryRepository.announce(db, item, origin: origin) }
    }
}
