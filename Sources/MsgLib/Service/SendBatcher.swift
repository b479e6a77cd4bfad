import Foundation
import Synchronization

/// Writes concurrent sends together: one statement and one commit for the sends that arrive while others are being
/// written (``SendQueue`` decides which). A send that finds the writer idle is written at once, alone.
///
/// A batch is written by a loop that holds a writer connection and, on its thread, takes the next batch as soon as
/// one is written: no task or thread to wake between two batches. Once a batch is written, its sends are answered and
/// the next batch's statement is sent; only then are the written messages handed on (``Write/committed``: delivery to
/// sockets), while the server executes that statement. Each send waits for its answer. When a batch fails
/// with an error the server reported (its statement was rolled back, nothing is written), each of its sends is written
/// again alone on another connection, so that each gets its own answer; any other failure (the connection was lost,
/// the outcome is unknown) is every send's answer, never a second try that could write a message twice.
package final class SendBatcher: Sendable {
    /// How a batch is written on a connection, in steps, so that the next batch can start before this one's sends are
    /// answered.
    package struct Write: Sendable {
        /// Sends the statement that writes a batch (one transaction of its own), without waiting for it.
        package var start: @Sendable (PostgresConnection, [MessageSend]) throws -> Void
        /// Waits for that statement's result, committed: for each send, in order, its message or nil (see
        /// ``MessageRepository/insert(_:_:notifySlack:limits:skipLocked:)``).
        package var finish: @Sendable (PostgresConnection, [MessageSend]) throws -> [DeliverableMessage?]
        /// Called with a batch's messages once committed and its sends answered; the connection may be executing the
        /// next batch's statement meanwhile.
        package var committed: @Sendable ([DeliverableMessage]) -> Void

        package init(
            start: @escaping @Sendable (PostgresConnection, [MessageSend]) throws -> Void,
            finish: @escaping @Sendable (PostgresConnection, [MessageSend]) throws -> [DeliverableMessage?],
            committed: @escaping @Sendable ([DeliverableMessage]) -> Void
        ) {
            self.start = start
            self.finish = finish
            self.committed = committed
        }

        /// Writes one batch and waits for it (its messages are handed on before they are returned).
        func callAsFunction(_ db: PostgresConnection, _ sends: [MessageSend]) throws -> [DeliverableMessage?] {
            try start(db, sends)
            let messages = try finish(db, sends)
            handOn(messages)
            return messages
        }

        /// Hands the messages a batch wrote to ``committed``, when it wrote any.
        func handOn(_ messages: [DeliverableMessage?]) {
            let written = messages.compactMap { $0 }
            if !written.isEmpty { committed(written) }
        }
    }

    private enum Turn: Sendable {
        /// Written in a batch.
        case done(DeliverableMessage?)
        /// That batch failed; write it alone.
        case alone
        /// That batch failed and nothing can be retried.
        case failed(any Error)
    }

    private struct Entry: Sendable {
        let send: MessageSend
        let turn: CheckedContinuation<Turn, Never>
    }

    private typealias Batch = SendQueue<Entry, UUID>.Batch

    private let queue: Mutex<SendQueue<Entry, UUID>>
    private let write: Write
    private let writer: WriterConnections
    private let others: WriterConnections

    /// The connections of a loop, and of the sends written again alone.
    package struct WriterConnections: Sendable {
        let run: @Sendable (_ body: @escaping @Sendable (PostgresConnection) throws -> Void) async throws -> Void

        package init(run: @escaping @Sendable (_ body: @escaping @Sendable (PostgresConnection) throws -> Void) async throws -> Void) {
            self.run = run
        }

        /// A pool's connections.
        package static func pool(_ pool: DatabasePool) -> WriterConnections {
            WriterConnections { body in try await pool.withConnection(body) }
        }
    }

    /// - Parameters:
    ///   - maxInFlight: batches written at once (each loop holds one `writer` connection).
    ///   - maxBatch: sends in one batch at most.
    ///   - writer: where batches are written; `others`: where a send of a refused batch is written again alone.
    package init(maxInFlight: Int, maxBatch: Int = 64, writer: WriterConnections, others: WriterConnections, write: Write) {
        self.queue = Mutex(SendQueue(maxInFlight: maxInFlight, maxBatch: maxBatch))
        self.write = write
        self.writer = writer
        self.others = others
    }

    /// Sends waiting for a batch.
    package var waitingCount: Int { queue.withLock { $0.waitingCount } }

    /// Writes `send`, with whatever other sends are waiting; its message, or nil when it was not written (see
    /// ``MessageRepository/insert(_:_:notifySlack:limits:skipLocked:)``).
    package func send(_ send: MessageSend) async throws -> DeliverableMessage? {
        let turn = await withCheckedContinuation { (turn: CheckedContinuation<Turn, Never>) in
            if let batch = queue.withLock({ $0.submit(Entry(send: send, turn: turn), sender: send.sender.id) }) {
                Task { await self.run(batch) }
            }
        }
        switch turn {
        case .done(let message): return message
        case .failed(let error): throw error
        case .alone:
            let write = self.write
            let result = Mutex<DeliverableMessage?>(nil)
            try await others.run { db in
                let message = try write(db, [send])[0]
                result.withLock { $0 = message }
            }
            return result.withLock { $0 }
        }
    }

    /// Writes `first`, then every batch its slot is given, until none is left.
    private func run(_ first: Batch) async {
        var batch: Batch? = first
        while let current = batch {
            let left = Mutex<Batch?>(nil)
            do {
                try await writer.run { db in left.withLock { $0 = self.loop(db, from: current) } }
                batch = left.withLock { $0 }
            } catch {
                // No connection: nothing of this batch was written.
                batch = finish(current, with: .failure(error))
            }
        }
    }

    /// Writes batches on `db` until none is left (nil), or until the connection is lost: then the next batch to write
    /// (on a connection opened again).
    private func loop(_ db: PostgresConnection, from first: Batch) -> Batch? {
        var batch = first
        var started = Result { try write.start(db, batch.items.map(\.send)) }
        while true {
            let result = started.flatMap { _ in Result { try write.finish(db, batch.items.map(\.send)) } }
            let next = queue.withLock { $0.finish(batch) }
            let lost = if case .failure(let error as DatabaseError) = result { error.kind == .unavailable } else { false }
            // The sends are answered, then the next statement leaves, then the messages are delivered.
            answer(batch, with: result)
            if let next, !lost { started = Result { try write.start(db, next.items.map(\.send)) } }
            if case .success(let messages) = result { write.handOn(messages) }
            guard let next else { return nil }
            if lost { return next }
            batch = next
        }
    }

    /// Answers every send of `batch`, and gives its slot the next batch (nil: the slot is free).
    private func finish(_ batch: Batch, with result: Result<[DeliverableMessage?], any Error>) -> Batch? {
        let next = queue.withLock { $0.finish(batch) }
        answer(batch, with: result)
        return next
    }

    /// Answers every send of `batch`.
    private func answer(_ batch: Batch, with result: Result<[DeliverableMessage?], any Error>) {
        switch result {
        case .success(let messages):
            for (entry, message) in zip(batch.items, messages) { entry.turn.resume(returning: .done(message)) }
        case .failure(let error):
            let turn: Turn = batch.items.count > 1 && Self.wroteNothing(error) ? .alone : .failed(error)
            for entry in batch.items { entry.turn.resume(returning: turn) }
        }
    }

    /// Whether a failed write certainly wrote nothing and may be tried again: the server reported an error for the
    /// statement (which it then rolled back), or no connection was taken.
    static func wroteNothing(_ error: any Error) -> Bool {
        if error is CancellationError { return true }
        guard let error = error as? DatabaseError, error.sqlState != nil else { return false }
        return error.kind != .unavailable && error.kind != .decoding
    }
}
