import Foundation
import Testing

@testable import MsgLib

/// What `POST /api/attachments` accepts, and the settings behind it.
@Suite struct AttachmentPolicyTests {
    let policy = AttachmentPolicy(maxBytes: 1000, types: AttachmentConfiguration.defaultTypes)

    @Test func acceptsAndCleans() throws {
        let accepted = try policy.check(filename: "../a\u{202E}b.png", contentType: " Image/PNG ; q=1", size: 1000)
        #expect(accepted == .init(filename: .init(sanitizing: "ab.png"), contentType: "image/png", size: 1000))
    }

    @Test func refusalsNameTheProblem() {
        #expect(throws: AttachmentPolicy.Problem.tooLarge("size 1001 is over the limit of 1000 bytes")) {
            try policy.check(filename: "a", contentType: "image/png", size: 1001)
        }
        #expect(throws: AttachmentPolicy.Problem.self) { try policy.check(filename: "a", contentType: "text/html", size: 1) }
        for (name, type, size) in [
            ("", "image/png", 1), ("a", "image/png", 0), ("a", "png", 1), ("a", "image/png/x", 1),
            (String(repeating: "x", count: 1025), "image/png", 1),
        ] {
            #expect(throws: AttachmentPolicy.Problem.self) { try policy.check(filename: name, contentType: type, size: size) }
        }
        let accepted = AttachmentConfiguration.defaultTypes.joined(separator: ", ")
        #expect(throws: AttachmentPolicy.Problem.unsupportedType("content_type text/html is not accepted (accepted: \(accepted))")) {
            try policy.check(filename: "a", contentType: "text/html", size: 1)
        }
    }

    @Test func environment() throws {
        let configuration = try AttachmentConfiguration.fromEnvironment(
            ["ATTACHMENT_STORE": "local:/srv/files", "ATTACHMENT_TYPES": "image/png, text/plain", "ATTACHMENT_MAX_BYTES": "5"], jwtSecret: "s")
        #expect(configuration.store == .local(path: "/srv/files"))
        #expect(configuration.types == ["image/png", "text/plain"] && configuration.maxBytes == 5)
        #expect(configuration.signingKey == AttachmentConfiguration.derivedSigningKey(jwtSecret: "s"))
        #expect(try AttachmentConfiguration.fromEnvironment([:], jwtSecret: "s").store == nil)
        for bad in [
            ["ATTACHMENT_STORE": "local:relative"], ["ATTACHMENT_STORE": "local:/a/../b"], ["ATTACHMENT_STORE": "ftp://x"],
            ["ATTACHMENT_TYPES": "png"], ["ATTACHMENT_MAX_BYTES": "0"], ["ATTACHMENT_SIGNING_KEY": "short"],
            ["ATTACHMENT_PUBLIC_URL": "javascript:x"],
        ] {
            #expect(throws: ConfigurationError.self) { try AttachmentConfiguration.fromEnvironment(bad, jwtSecret: "s") }
        }
        #expect(throws: ConfigurationError.self) {
            try AttachmentSupport.open(AttachmentConfiguration.fromEnvironment(["ATTACHMENT_STORE": "s3://bucket"], jwtSecret: "s"))
        }
    }

    @Test func notices() {
        let files = [
            MessageAttachment(id: UUID(), filename: "a.png", contentType: "image/png", size: 1, width: 1, height: 1),
            MessageAttachment(id: UUID(), filename: "<b>&.pdf", contentType: "application/pdf", size: 2),
        ]
        var message = Message(
            id: UUID(), conversationId: UUID(), senderId: UUID(), content: "", createdAt: .now(), readAt: nil, editedAt: nil, deletedAt: nil)
        message.attachments = files
        #expect(PushNotification(message: message).body == "2 attachments")
        message.content = String(repeating: "x", count: 200)
        let body = PushNotification(message: message).body
        #expect(body.hasSuffix(" (2 attachments)") && body.count <= PushNotification.bodyLimit)
        #expect(String(decoding: PushNotification(message: message).payload, as: UTF8.self).contains("\"attachments\":[{"))
        message.attachments = (0..<10).map { _ in
            MessageAttachment(id: UUID(), filename: String(repeating: "🐱", count: 200), contentType: "image/png", size: 1)
        }
        let crowded = PushNotification(message: message).payload
        #expect(crowded.count <= 3500 && !String(decoding: crowded, as: UTF8.self).contains("attachments\":["))
        let notice = SlackNotice(
            displayName: "A", content: "", conversationId: nil, adminURLBase: "https://x", attachmentNames: files.map(\.filename))
        #expect(notice.sectionText == "*A*\n2 attachments: a.png, &lt;b&gt;&amp;.pdf")
        #expect(MessageAttachment.list(json: MessageAttachment.json(files)) == files)
        #expect(MessageAttachment.list(json: "not json").isEmpty && MessageAttachment.json([]) == nil)
    }
}
