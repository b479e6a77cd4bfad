import Synchronization

/// Writes concurrent sends together: one statement and one commit for the sends that arrive while others are being
/// written (``SendQueue`` decides which). A send that finds the database idle is written at once, alone.
///
/// The send that starts a batch writes it on its own task and hands each other send its message; the first send of
/// the next batch is then woken to write that one. When a batch fails with an error the server reported (its statement
/// was rolled back, nothing is written), each of its sends is written again alone, so that each gets its own answer;
/// any other failure (the connection was lost, the outcome is unknown) is every send's answer, never a second try that
/// could write a message twice.
package final class SendBatcher: Sendable {
    /// Writes one batch; for each send, in order, its message or nil (see ``MessageRepository/insert(_:_:notifySlack:limits:)``).
    package typealias Write = @Sendable ([MessageSend]) async throws -> [DeliverableMessage?]

    private enum Turn: Sendable {
        /// Write this batch (it starts with the send woken).
        case lead([Entry])
        /// Written in another send's batch.
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

    private let queue: Mutex<SendQueue<Entry>>
    private let write: Write

    /// - Parameters:
    ///   - maxInFlight: batches written at once (each holds one database connection).
    ///   - maxBatch: sends in one batch at most.
    package init(maxInFlight: Int, maxBatch: Int = 64, write: @escaping Write) {
        self.queue = Mutex(SendQueue(maxInFlight: maxInFlight, maxBatch: maxBatch))
        self.write = write
    }

    /// Sends waiting for a batch.
    package var waitingCount: Int { queue.withLock { $0.waitingCount } }

    /// Writes `send`, with whatever other sends are waiting; its message, or nil when it was not written (see
    /// ``MessageRepository/insert(_:_:notifySlack:limits:)``).
    package func send(_ send: MessageSend) async throws -> DeliverableMessage? {
        let turn = await withCheckedContinuation { (turn: CheckedContinuation<Turn, Never>) in
            let batch = queue.withLock { $0.submit(Entry(send: send, turn: turn), sender: send.sender.id)?.items }
            if let batch { batch[0].turn.resume(returning: .lead(batch)) }
        }
        switch turn {
        case .done(let message): return message
        case .alone: return try await write([send])[0]
        case .failed(let error): throw error
        case .lead(let batch): return try await lead(batch)
        }
    }

    /// Writes `batch` (whose first send is the caller's), answers the others, wakes the next batch's first send.
    private func lead(_ batch: [Entry]) async throws -> DeliverableMessage? {
        let result: Result<[DeliverableMessage?], any Error>
        do {
            result = .success(try await write(batch.map(\.send)))
        } catch {
            result = .failure(error)
        }
        let next = queue.withLock { $0.finish(batch.map { AnyHashable($0.send.sender.id) })?.items }
        let others = batch.dropFirst()
        switch result {
        case .success(let messages):
            for (entry, message) in zip(others, messages.dropFirst()) { entry.turn.resume(returning: .done(message)) }
        case .failure(let error):
            let turn: Turn = Self.wroteNothing(error) ? .alone : .failed(error)
            for entry in others { entry.turn.resume(returning: turn) }
        }
        if let next { next[0].turn.resume(returning: .lead(next)) }
        switch result {
        case .success(let messages): return messages[0]
        case .failure(let error):
            guard batch.count > 1, Self.wroteNothing(error) else { throw error }
            return try await write([batch[0].send])[0]
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
