import Foundation
import Synchronization
import TestSupport
import Testing

@testable import MsgLib

/// The batcher with a writer that records its batches and can be held: which sends are written together, and what
/// each caller gets when a batch fails, without a database.
@Suite struct SendBatcherTests {
    /// A writer: records each batch; while `held`, blocks its thread until released; fails batches as `fail` says.
    final class Writer: Sendable {
        let batches = Mutex<[[String]]>([])
        let gate = NSCondition()
        let held = Mutex(false)
        let fail: @Sendable ([MessageSend]) -> (any Error)?

        init(fail: @escaping @Sendable ([MessageSend]) -> (any Error)? = { _ in nil }) { self.fail = fail }

        func hold() { held.withLock { $0 = true } }

        func release() {
            gate.lock()
            held.withLock { $0 = false }
            gate.broadcast()
            gate.unlock()
        }

        /// What the batcher asked, in order: "start", "finish" or "committed", each with the batch's contents.
        let steps = Mutex<[String]>([])

        /// Records each batch as its statement is sent; holds the result back while `held`.
        var write: SendBatcher.Write {
            SendBatcher.Write(
                start: { _, sends in
                    self.batches.withLock { $0.append(sends.map(\.content)) }
                    self.steps.withLock { $0.append("start \(sends.map(\.content))") }
                },
                finish: { _, sends in
                    self.gate.lock()
                    while self.held.withLock({ $0 }) { self.gate.wait() }
                    self.gate.unlock()
                    self.steps.withLock { $0.append("finish \(sends.map(\.content))") }
                    if let error = self.fail(sends) { throw error }
                    return sends.map { send in
                        send.content.hasPrefix("refused") ? nil : SendBatcherTests.message(send)
                    }
                },
                committed: { messages in self.steps.withLock { $0.append("committed \(messages.map(\.message.content))") } })
        }

        /// Connections that run their body on a thread of its own (the body blocks while the writer is held).
        static let connections = SendBatcher.WriterConnections { body in
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                Thread.detachNewThread { done.resume(with: Result { try body(PostgresConnection(conninfo: "")) }) }
            }
        }

        func batcher() -> SendBatcher {
            SendBatcher(maxInFlight: 1, writer: Self.connections, others: Self.connections, write: write)
        }
    }

    static func user(_ name: String) -> User {
        User(id: UUID(), username: name, displayName: name, slug: name, isAdmin: false, createdAt: .now())
    }

    static func message(_ send: MessageSend) -> DeliverableMessage {
        DeliverableMessage(
            message: Message(
                id: UUID(), conversationId: UUID(), senderId: send.sender.id, content: send.content, createdAt: .now()),
            sender: send.sender, conversationUserId: send.sender.id)
    }

    /// Starts the first send, and once it is being written the others (distinct senders); returns their tasks, in order,
    /// once every other one waits.
    static func sendWhileTheFirstIsWritten(
        _ batcher: SendBatcher, _ writer: Writer, contents: [String]
    ) async throws -> [Task<DeliverableMessage?, any Error>] {
        writer.hold()
        func start(_ content: String) -> Task<DeliverableMessage?, any Error> {
            Task { try await batcher.send(MessageSend(sender: user(content), conversationId: nil, content: content)) }
        }
        let first = start(contents[0])
        try await waitUntil { writer.batches.withLock { $0.count } == 1 }
        let others = contents.dropFirst().map(start)
        try await waitUntil { batcher.waitingCount == others.count }
        return [first] + others
    }

    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            try #require(ContinuousClock.now < deadline, "condition not reached within 60 s")
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    @Test func sendsThatArriveDuringAWriteAreWrittenTogetherAndEachGetsItsOwnMessage() async throws {
        let writer = Writer()
        let batcher = writer.batcher()
        let contents = (0..<6).map { "m\($0)" } + ["refused"]
        let tasks = try await Self.sendWhileTheFirstIsWritten(batcher, writer, contents: contents)
        writer.release()
        for (task, content) in zip(tasks, contents) {
            let message = try await task.value
            #expect(message?.message.content == (content == "refused" ? nil : content))
        }
        let batches = writer.batches.withLock { $0 }
        #expect(batches.count == 2, "\(batches)")
        #expect(batches.first == ["m0"])
        #expect(batches.last?.count == 6, "the six waiting sends went together: \(batches)")
    }

    @Test func aBatchTheServerRefusedIsWrittenAgainSendBySend() async throws {
        // The server refuses any batch that holds "bad" (as a constraint would): the others still get their messages.
        let refused = DatabaseError(sqlState: "23514", message: "check", detail: nil, constraint: "messages_content_length", statement: nil)
        let writer = Writer(fail: { sends in sends.contains { $0.content == "bad" } ? refused : nil })
        let batcher = writer.batcher()
        let contents = ["first", "a", "bad", "b"]
        let tasks = try await Self.sendWhileTheFirstIsWritten(batcher, writer, contents: contents)
        writer.release()
        for (task, content) in zip(tasks, contents) {
            if content == "bad" {
                await #expect(throws: DatabaseError.self) { try await task.value }
            } else {
                #expect(try await task.value?.message.content == content)
            }
        }
        // first alone; a, bad, b together (refused); then each of them alone.
        #expect(writer.batches.withLock { $0 }.count == 5)
    }

    /// The next batch's statement leaves as soon as a batch's sends are answered, before its messages are delivered
    /// (``SendBatcher/Write/committed``), so the database does not wait for the delivery.
    @Test func theNextStatementLeavesBeforeTheMessagesBeforeItAreDelivered() async throws {
        let writer = Writer()
        let batcher = writer.batcher()
        let tasks = try await Self.sendWhileTheFirstIsWritten(batcher, writer, contents: ["m0", "m1", "m2"])
        writer.release()
        for task in tasks { _ = try await task.value }
        try await Self.waitUntil { writer.steps.withLock { $0.count } == 6 }
        #expect(
            writer.steps.withLock { $0 } == [
                #"start ["m0"]"#, #"finish ["m0"]"#, #"start ["m1", "m2"]"#, #"committed ["m0"]"#, #"finish ["m1", "m2"]"#,
                #"committed ["m1", "m2"]"#,
            ])
    }

    /// A send written alone that inserts nothing (its conversation is gone, a limit is full) hands nothing on: delivery
    /// is not woken for an empty list.
    @Test func aSendThatWroteNothingHandsNothingOn() async throws {
        let refused = DatabaseError(sqlState: "23514", message: "check", detail: nil, constraint: "messages_content_length", statement: nil)
        let writer = Writer(fail: { sends in sends.contains { $0.content == "bad" } ? refused : nil })
        let batcher = writer.batcher()
        let tasks = try await Self.sendWhileTheFirstIsWritten(batcher, writer, contents: ["first", "refused", "bad"])
        writer.release()
        #expect(try await tasks[0].value?.message.content == "first")
        #expect(try await tasks[1].value == nil)
        await #expect(throws: DatabaseError.self) { try await tasks[2].value }
        let steps = writer.steps.withLock { $0 }
        #expect(steps.filter { $0.hasPrefix("committed") } == [#"committed ["first"]"#], "\(steps)")
    }

    @Test func aBatchWhoseOutcomeIsUnknownIsNeverWrittenTwice() async throws {
        let lost = DatabaseError(.unavailable, message: "server closed the connection unexpectedly")
        let writer = Writer(fail: { sends in sends.count > 1 ? lost : nil })
        let batcher = writer.batcher()
        let contents = ["first", "a", "b", "c"]
        let tasks = try await Self.sendWhileTheFirstIsWritten(batcher, writer, contents: contents)
        writer.release()
        #expect(try await tasks[0].value?.message.content == "first")
        for task in tasks.dropFirst() {
            await #expect(throws: DatabaseError.self) { try await task.value }
        }
        #expect(writer.batches.withLock { $0 }.count == 2, "no send of the failed batch was written again")
    }
}
