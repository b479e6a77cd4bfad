import Foundation
import Synchronization
import TestSupport
import Testing

@testable import MsgLib

/// A send refused for one of its files does not make the relay ask the store about the others again on the next try.
@Suite(.needsDatabase) struct AttachmentRecheckTests {
    /// A store holding PDFs of 100 bytes under the keys in `uploaded`, counting the questions about them.
    final class CountingStore: AttachmentStore {
        let uploaded = Mutex<Set<String>>([])
        let inspections = Mutex<[String]>([])
        func uploadTarget(key: String, contentType: String, size: Int, expires: Date, user: UUID?) throws -> AttachmentTransfer {
            .init(method: "PUT", url: "/")
        }
        func downloadTarget(key: String, filename: AttachmentFilename, contentType: String, inline: Bool, expires: Date, user: UUID?) throws
            -> AttachmentTransfer
        { .init(method: "GET", url: "/") }
        func inspect(key: String, prefixLength: Int) async throws -> StoredAttachment? {
            inspections.withLock { $0.append(key) }
            return uploaded.withLock { $0.contains(key) } ? StoredAttachment(size: 100, contentType: "application/pdf", prefix: []) : nil
        }
        func delete(key: String) async throws {}
    }

    @Test func filesFoundBeforeAreNotAskedAboutAgain() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let store = CountingStore()
        var service = MessagingService(pool: database.pool(size: 2))
        service.attachments = AttachmentSupport(configuration: AttachmentConfiguration(store: .local(path: "/unused")), store: store)
        var ids: [UUID] = []
        for n in 0..<3 {
            ids.append(try await service.createAttachment(viewer: f.alice, filename: "f\(n).pdf", contentType: "application/pdf", size: 100).id)
        }
        let keys = try ids.map { id in try db.scalar("SELECT store_key FROM attachments WHERE id = $1", [id], as: String.self) }
        store.uploaded.withLock { $0 = Set(keys.prefix(2)) }
        // The third file was never uploaded: refused, again and again.
        for _ in 0..<3 {
            await #expect(throws: ServiceError.self) {
                try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "files", attachmentIds: ids, source: .rest)
            }
        }
        // The first two were asked about once; the third each time.
        let asked = store.inspections.withLock { $0 }
        #expect(asked.filter { $0 == keys[0] }.count == 1 && asked.filter { $0 == keys[1] }.count == 1, "\(asked)")
        #expect(asked.filter { $0 == keys[2] }.count == 3)
        // Uploaded at last: the send goes through, with the three files.
        store.uploaded.withLock { $0.insert(keys[2]) }
        let sent = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "files", attachmentIds: ids, source: .rest)
        #expect(sent.attachments.map(\.id) == ids)
    }

    /// A send refused for a file not uploaded (the store asked each time) counts against the sender's message rate
    /// limit: repeating it ends in 429s that ask the store nothing, not in a request to the store per send.
    @Test func sendsWithAFileNeverUploadedAreHeldToTheRateLimit() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let store = CountingStore()
        var service = MessagingService(pool: database.pool(size: 2), rules: MessagingRules(perMinute: 3))
        service.attachments = AttachmentSupport(configuration: AttachmentConfiguration(store: .local(path: "/unused")), store: store)
        let id = try await service.createAttachment(viewer: f.alice, filename: "f.pdf", contentType: "application/pdf", size: 100).id
        var refusals: [ServiceError.Kind] = []
        for _ in 0..<10 {
            do {
                _ = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "", attachmentIds: [id], source: .rest)
                Issue.record("sent")
            } catch let error as ServiceError {
                refusals.append(error.kind)
            }
        }
        #expect(refusals == Array(repeating: .invalid, count: 3) + Array(repeating: .rateLimited, count: 7))
        #expect(store.inspections.withLock { $0.count } == 3)
        #expect(try db.scalar("SELECT count(*) FROM messages", as: Int.self) == 0)
    }
}
