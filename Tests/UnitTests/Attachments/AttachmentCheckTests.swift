import Foundation
import Testing

@testable import MsgLib

/// An upload compared with what the store says it holds, whatever the store answers.
@Suite struct AttachmentCheckTests {
    /// A store that answers `inspect` with `answer`.
    struct FixedStore: AttachmentStore {
        let answer: StoredAttachment?
        func uploadTarget(key: String, contentType: String, size: Int, expires: Date, user: UUID?) throws -> AttachmentTransfer {
            .init(method: "PUT", url: "/")
        }
        func downloadTarget(key: String, filename: AttachmentFilename, contentType: String, inline: Bool, expires: Date, user: UUID?) throws
            -> AttachmentTransfer
        { .init(method: "GET", url: "/") }
        func inspect(key: String, prefixLength: Int) async throws -> StoredAttachment? { answer }
        func delete(key: String) async throws {}
    }

    static func upload(_ type: String, size: Int) -> AttachmentRecord {
        AttachmentRecord(
            id: UUID(), ownerId: UUID(), storeKey: AttachmentKey.make(), filename: "f", contentType: type, size: size, state: .pending,
            createdAt: .now())
    }

    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 1, 0, 0, 0, 0, 200]

    @Test func aMatchingImageGetsItsSize() async throws {
        let upload = Self.upload("image/png", size: 24)
        let info = try await MessagingService.check(upload, in: FixedStore(answer: .init(size: 24, contentType: "image/png", prefix: Self.png)))
        #expect(info.width == 256 && info.height == 200 && info.id == upload.id)
    }

    @Test func hostileOrWrongAnswersAreRefusedNamingTheId() async throws {
        let upload = Self.upload("image/png", size: 24)
        let id = upload.id.lowercasedString
        let cases: [(StoredAttachment?, String)] = [
            (nil, "Attachment \(id) has not been uploaded"),
            (.init(size: 25, contentType: nil, prefix: Self.png), "Attachment \(id) is 25 bytes, not the 24 declared"),
            (.init(size: -1, contentType: nil, prefix: []), "Attachment \(id) is -1 bytes, not the 24 declared"),
            (.init(size: 24, contentType: "text/html\r\nX-Evil: 1", prefix: Self.png), "Attachment \(id) was not uploaded as image/png"),
            (.init(size: 24, contentType: nil, prefix: Array("%PDF-1.4".utf8)), "Attachment \(id) is not a PNG image"),
            (.init(size: 24, contentType: nil, prefix: [0xFF, 0xD8, 0xFF, 0xE0]), "Attachment \(id) is not a PNG image"),
            (.init(size: 24, contentType: nil, prefix: []), "Attachment \(id) is not a PNG image"),
        ]
        for (answer, message) in cases {
            await #expect(throws: ServiceError(.invalid, message)) { try await MessagingService.check(upload, in: FixedStore(answer: answer)) }
        }
        // A parameter on the stored type is no difference.
        let text = Self.upload("text/plain", size: 3)
        let info = try await MessagingService.check(
            text, in: FixedStore(answer: .init(size: 3, contentType: "text/plain; charset=utf-8", prefix: [])))
        #expect(info.width == nil)
    }
}
