import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Message frames are written without an encoder: their text must hold what the encoder's holds (the encoder's key
/// order varies), whatever the message holds, and read back as the same frame.
@Suite struct DirectFrameJSONTests {
    /// Text with every kind of character a JSON writer treats differently.
    static let awkward: [String] = [
        "plain", "", "quote \" and backslash \\ and slash / and </script>", "tab\there\nnew line\r\u{08}\u{0C}",
        String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }), "delete \u{7F}", "line sep \u{2028} para \u{2029}",
        "é ü ñ 漢字 🙂 👩‍👩‍👧", "\u{FEFF}bom", "nul \u{0} inside", "{\"type\":\"ping\"}",
    ]

    static func representation(_ content: String, name: String, admin: Bool, read: Bool, edited: Bool, cursor: String?) -> MessageRepresentation {
        let sender = User(
            id: UUID(), username: name, displayName: name + " Display", slug: "s", isAdmin: admin, createdAt: Timestamp(microsecondsSinceEpoch: 0))
        let message = Message(
            id: UUID(), conversationId: UUID(), senderId: sender.id, content: content,
            createdAt: Timestamp(microsecondsSinceEpoch: 1_764_115_072_123_456),
            readAt: read ? Timestamp(microsecondsSinceEpoch: 1_764_115_073_000_001) : nil,
            editedAt: edited ? Timestamp(microsecondsSinceEpoch: -1) : nil, deletedAt: nil)
        var representation = MessageRepresentation(message, sender: sender)
        representation.cursor = cursor
        return representation
    }

    /// True when both texts are JSON (read by Foundation's strict parser) with equal values.
    static func sameJSON(_ a: String, _ b: String) -> Bool {
        guard let x = try? JSONSerialization.jsonObject(with: Data(a.utf8)) as? NSDictionary,
            let y = try? JSONSerialization.jsonObject(with: Data(b.utf8)) as? NSDictionary
        else { return false }
        return x.isEqual(y)
    }

    @Test func messageFramesAreTheEncodersText() {
        var random = SplitMix64(seed: 7)
        var checked = 0
        for content in Self.awkward {
            for name in ["alice", Self.awkward.randomElement(using: &random)!] {
                for (admin, read, edited) in [(false, false, false), (true, true, true), (false, true, false)] {
                    for cursor in [nil, "c1.abc-_"] {
                        let message = Self.representation(content, name: name, admin: admin, read: read, edited: edited, cursor: cursor)
                        for frame in [ServerFrame.message(message), .messageSent(message, clientId: UUID())] {
                            #expect(frame.directJSON != nil)
                            #expect(Self.sameJSON(frame.json, frame.encodedJSON), "\(frame.type) of \(content.debugDescription)")
                            #expect((try? ServerFrame(json: Array(frame.json.utf8))) == frame)
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked == Self.awkward.count * 2 * 3 * 2 * 2)
    }

    @Test func framesWithFilesOrReactionsGoThroughTheEncoder() throws {
        var withFile = Self.representation("see file", name: "bob", admin: false, read: false, edited: false, cursor: nil)
        withFile.attachments = [MessageAttachment(id: UUID(), filename: "a.png", contentType: "image/png", size: 10, width: 1, height: 1)]
        #expect(ServerFrame.message(withFile).directJSON == nil)
        #expect(Self.sameJSON(ServerFrame.message(withFile).json, ServerFrame.message(withFile).encodedJSON))
        #expect(ServerFrame.typing(conversationId: UUID(), userId: UUID(), isTyping: true).directJSON == nil)
        let pong = ServerFrame.pong(.now())
        #expect(pong.directJSON != nil && Self.sameJSON(pong.json, pong.encodedJSON))
        // The text reads back as the frame it was written from.
        let plain = Self.representation("a \"quoted\" / line\n", name: "c\u{1}d", admin: true, read: true, edited: false, cursor: "x")
        #expect(try ServerFrame(json: Array(ServerFrame.message(plain).json.utf8)) == .message(plain))
    }

    @Test func theAnswerToASendIsTheEncodersJSON() throws {
        for content in Self.awkward {
            for read in [false, true] {
                var message = Message(
                    id: UUID(), conversationId: UUID(), senderId: UUID(), content: content,
                    createdAt: Timestamp(microsecondsSinceEpoch: 1_764_115_072_123_456),
                    readAt: read ? Timestamp(microsecondsSinceEpoch: 1_764_115_073_000_001) : nil, editedAt: nil, deletedAt: nil)
                let direct = try #require(MessageCreatedResponse(message).directJSON)
                let encoded = try JSONEncoder().encode(MessageCreatedResponse(message))
                #expect(
                    Self.sameJSON(String(decoding: direct, as: UTF8.self), String(decoding: encoded, as: UTF8.self)), "\(content.debugDescription)")
                message.attachments = [MessageAttachment(id: UUID(), filename: "a.txt", contentType: "text/plain", size: 1)]
                #expect(MessageCreatedResponse(message).directJSON == nil)
            }
        }
    }
}
