import Foundation
import Testing

@testable import MsgLib

/// The WebSocket protocol's frames as one model: every frame survives encode -> decode, the JSON on the wire keeps
/// its shape, and malformed client frames are refused with the same codes and messages as always. No database.
@Suite struct ProtocolModelTests {
    static let userId = UUID(uuidString: "0190c3d2-7e4b-7a1c-9f00-000000000001")!
    static let conversationId = UUID(uuidString: "0190c3d2-7e4b-7a1c-9f00-000000000002")!
    static let messageId = UUID(uuidString: "0190c3d2-7e4b-7a1c-9f00-000000000003")!
    static let at = Timestamp(microsecondsSinceEpoch: 1_764_111_472_123_456)
    static let sender = User(
        id: userId, username: "alice", displayName: "Alice A.", slug: "alice", isAdmin: false, createdAt: at)
    static let message = Message(
        id: messageId, conversationId: conversationId, senderId: userId, content: "Hello <admin> / \"quoted\"", createdAt: at,
        readAt: nil, editedAt: at.adding(seconds: 2))

    static let serverFrames: [ServerFrame] = [
        .connected(userId: userId, connectionId: conversationId, timestamp: at),
        .message(message, sender: sender),
        .messageRead(messageId: messageId, readAt: at, readBy: nil),
        .messageRead(messageId: messageId, readAt: at, readBy: userId),
        .typing(conversationId: conversationId, userId: userId, isTyping: true),
        .typing(conversationId: conversationId, userId: userId, isTyping: false),
        .pong(at),
        .error(code: "rate_limited", message: "Too many messages", retryAfter: 12),
        .error(code: "not_found", message: "Conversation not found", retryAfter: nil),
        .error(code: "conflict", message: "This idempotency key was already used for a different message", retryAfter: nil, clientId: userId),
        .messageSent(MessageRepresentation(message, sender: sender), clientId: conversationId),
        .replayed(count: 3, truncated: true, cursor: nil),
        .replayed(count: 0, truncated: false, cursor: ResumeCursor(complete: CommitSnapshot(xmin: 7, xmax: 9, xip: [8], takenAtMillis: 1)).token),
        .message(message, sender: sender, cursor: ResumeCursor(base: snapshot, end: snapshot, lastId: messageId)),
        .unknown(type: "presence"),
    ]

    static let clientFrames: [ClientFrame] = [
        .sendMessage(conversationId: nil, content: "Any news?"),
        .sendMessage(conversationId: conversationId, content: "Hi \"Alice\" </script>"),
        .sendMessage(conversationId: nil, content: "queued while offline", clientId: messageId),
        .markRead(messageIds: [messageId]),
        .markRead(messageIds: [messageId, conversationId, userId]),
        .typing(conversationId: conversationId, isTyping: true),
        .typing(conversationId: conversationId, isTyping: false),
        .ping,
        .resume(.messageId(messageId)),
        .resume(
            .cursor(
                ResumeCursor(
                    base: snapshot, end: CommitSnapshot(xmin: 812_346, xmax: 813_000, xip: [812_346, 812_999], takenAtMillis: 5), lastId: nil))),
    ]

    static let snapshot = CommitSnapshot(xmin: 812_345, xmax: 812_350, xip: [812_346, 812_348], takenAtMillis: 1_764_884_000_123)

    @Test(arguments: serverFrames)
    func serverFrameRoundTrips(_ frame: ServerFrame) throws {
        #expect(try ServerFrame(json: Array(frame.json.utf8)) == frame)
        #expect(try ServerFrame(json: Data(frame.json.utf8)) == frame)
    }

    @Test(arguments: clientFrames)
    func clientFrameRoundTrips(_ frame: ClientFrame) throws {
        #expect(try ClientFrame.parse(frame.json).get() == frame)
    }

    /// The JSON object a frame's text holds (JSONEncoder's key order is not fixed, so objects are compared).
    static func object(_ json: String) -> NSDictionary? {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? NSDictionary
    }

    @Test func serverFramesKeepTheirJSON() throws {
        let id = Self.messageId.lowercasedString
        let user = Self.userId.lowercasedString
        let conversation = Self.conversationId.lowercasedString
        #expect(ServerFrame.pong(Self.at).json == #"{"type":"pong","data":{"timestamp":"2025-11-25T22:57:52.123456Z"}}"#)
        #expect(
            Self.object(ServerFrame.messageRead(messageId: Self.messageId, readAt: Self.at, readBy: nil).json)
                == Self.object(#"{"type":"message_read","data":{"message_id":"\#(id)","read_at":"2025-11-25T22:57:52.123456Z","read_by":null}}"#))
        #expect(
            Self.object(ServerFrame.error(code: "invalid_json", message: "Frames must be JSON objects", retryAfter: nil).json)
                == Self.object(
                    #"{"type":"error","data":{"code":"invalid_json","message":"Frames must be JSON objects","retry_after":null,"client_id":null}}"#))
        #expect(
            Self.object(ServerFrame.error(code: "rate_limited", message: "Slow down", retryAfter: 3).json)
                == Self.object(#"{"type":"error","data":{"code":"rate_limited","message":"Slow down","retry_after":3,"client_id":null}}"#))
        #expect(
            Self.object(ServerFrame.typing(conversationId: Self.conversationId, userId: Self.userId, isTyping: true).json)
                == Self.object(#"{"type":"typing","data":{"conversation_id":"\#(conversation)","user_id":"\#(user)","is_typing":true}}"#))
        #expect(
            Self.object(ServerFrame.replayed(count: 2, truncated: false, cursor: nil).json)
                == Self.object(#"{"type":"replayed","data":{"count":2,"truncated":false,"cursor":null}}"#))
        #expect(
            Self.object(ServerFrame.message(Self.message, sender: Self.sender).json)
                == Self.object(
                    #"{"type":"message","data":{"id":"\#(id)","conversation_id":"\#(conversation)","sender_id":"\#(user)","#
                        + #""sender":{"id":"\#(user)","username":"alice","display_name":"Alice A.","is_admin":false},"#
                        + #""content":"Hello <admin> / \"quoted\"","created_at":"2025-11-25T22:57:52.123456Z","read_at":null,"#
                        + #""edited_at":"2025-11-25T22:57:54.123456Z","attachments":[],"reactions":[],"cursor":null}}"#))
        // Nullable fields are present as null, and slashes are not escaped.
        #expect(ServerFrame.messageRead(messageId: Self.messageId, readAt: Self.at, readBy: nil).json.contains(#""read_by":null"#))
        #expect(ServerFrame.message(Self.message, sender: Self.sender).json.contains(#""content":"Hello <admin> / \"quoted\"""#))
    }

    @Test func serverFramesDecode() throws {
        #expect(try ServerFrame(json: Data(#"{"type":"presence","data":{"who":1}}"#.utf8)) == .unknown(type: "presence"))
        #expect(try ServerFrame(json: Data(#"{"type":"hello"}"#.utf8)) == .unknown(type: "hello"))
        #expect(
            try ServerFrame(json: Data(#"{"data":{"count":1,"truncated":false},"type":"replayed"}"#.utf8))
                == .replayed(count: 1, truncated: false, cursor: nil))
        #expect(ServerFrame.message(Self.message, sender: Self.sender).messageId == Self.messageId)
        for malformed in ["", "[]", #"{"data":{}}"#, #"{"type":"pong"}"#, #"{"type":"typing","data":{"conversation_id":"x"}}"#] {
            #expect(throws: DecodingError.self, "\(malformed)") { try ServerFrame(json: Data(malformed.utf8)) }
        }
    }

    @Test func clientFramesKeepTheirJSON() {
        let conversation = Self.conversationId.lowercasedString
        #expect(ClientFrame.ping.json == #"{"type":"ping"}"#)
        #expect(
            Self.object(ClientFrame.sendMessage(conversationId: nil, content: "a/b").json)
                == Self.object(#"{"type":"send_message","data":{"content":"a/b"}}"#))
        #expect(ClientFrame.sendMessage(conversationId: nil, content: "a/b").json.contains(#""a/b""#))
        #expect(
            Self.object(ClientFrame.typing(conversationId: Self.conversationId, isTyping: true).json)
                == Self.object(#"{"type":"typing","data":{"conversation_id":"\#(conversation)","is_typing":true}}"#))
        #expect(
            Self.object(ClientFrame.resume(.messageId(Self.messageId)).json)
                == Self.object(#"{"type":"resume","data":{"last_message_id":"\#(Self.messageId.lowercasedString)"}}"#))
        #expect(ClientFrame.parse(ClientFrame.markRead(messageIds: Array(repeating: Self.messageId, count: 1000)).json).isSuccess)
    }

    @Test func pingIsRecognisedWithoutParsing() {
        #expect(ClientFrame.isPing(ClientFrame.ping.json))
        #expect(ClientFrame.isPing(#"{"type": "ping"}"#))
        #expect(!ClientFrame.isPing(#"{ "type" : "ping" }"#))
        #expect(!ClientFrame.isPing(#"{"type":"pong"}"#))
        #expect(ClientFrame.parse(#"{ "type" : "ping" }"#) == .success(.ping))
        #expect(ClientFrame.parse(#"{"type":"ping","data":5}"#) == .success(.ping))
    }

    static let ids1001 = (0...1000).map { _ in "\"\(UUID().lowercasedString)\"" }.joined(separator: ",")
    static let typingId = conversationId.lowercasedString

    /// Each malformed frame, with the code and message the relay has always answered.
    static let malformed: [(String, String, String)] = [
        ("nope", "invalid_json", "Frames must be JSON objects"),
        ("[1]", "invalid_json", "Frames must be JSON objects"),
        ("", "invalid_json", "Frames must be JSON objects"),
        ("null", "invalid_request", " must not be null"),
        (#"{"type":"dance"}"#, "unknown_type", #"Unknown frame type "dance""#),
        (#"{"data":{}}"#, "invalid_request", "type is required"),
        (#"{"type":5}"#, "invalid_request", "type has the wrong type"),
        (#"{"type":"send_message"}"#, "invalid_request", "data is required"),
        (#"{"type":"send_message","data":{}}"#, "invalid_request", "data.content is required"),
        (#"{"type":"send_message","data":{"content":5}}"#, "invalid_request", "data.content has the wrong type"),
        (#"{"type":"send_message","data":{"content":"x","conversation_id":"nope"}}"#, "invalid_request", "data.conversation_id must be a UUID"),
        (#"{"type":"send_message","data":{"content":null}}"#, "invalid_request", "data.content must not be null"),
        (#"{"type":"send_message","data":[]}"#, "invalid_request", "data has the wrong type"),
        (#"{"type":"mark_read","data":{"message_ids":[]}}"#, "invalid_request", "data.message_ids must hold 1 to 1000 message ids"),
        (#"{"type":"mark_read","data":{"message_ids":[\#(ids1001)]}}"#, "invalid_request", "data.message_ids must hold 1 to 1000 message ids"),
        (#"{"type":"mark_read","data":{"message_ids":["x"]}}"#, "invalid_request", "data.message_ids.[0] must be a UUID"),
        (#"{"type":"mark_read","data":{"message_ids":[1]}}"#, "invalid_request", "data.message_ids.[0] has the wrong type"),
        (#"{"type":"typing","data":{"conversation_id":"\#(typingId)","is_typing":"yes"}}"#, "invalid_request", "data.is_typing has the wrong type"),
        (#"{"type":"resume","data":{"last_message_id":null}}"#, "invalid_request", "data.cursor or data.last_message_id is required"),
        (#"{"type":"resume","data":{"cursor":"1.0..0~"}}"#, "invalid_request", "cursor is not a cursor this server issued"),
        (#"{"type":"resume"}"#, "invalid_request", "data is required"),
    ]

    @Test func malformedClientFramesAreRefused() {
        for (text, code, message) in Self.malformed {
            #expect(ClientFrame.parse(text) == .failure(ClientFrame.Invalid(code: code, message: message)), "\(text.prefix(80))")
        }
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}

/// The payloads relays exchange on the NOTIFY channel.
@Suite struct RealtimeEventTests {
    static let a = UUID(uuidString: "0192f1c4-0000-7000-8000-000000000001")!
    static let b = UUID(uuidString: "0192f1c4-0000-7000-8000-000000000002")!

    @Test(arguments: [
        RealtimeEvent.message(id: a, conversationId: b), .message(id: a, conversationId: b, origin: b),
        .read(messageId: a, conversationId: b, conversationUserId: a, readAt: Timestamp(microsecondsSinceEpoch: 1_764_884_000_123_456), readBy: b),
        .read(messageId: a, conversationId: b, conversationUserId: a, readAt: Timestamp(microsecondsSinceEpoch: 1), readBy: nil),
        .typing(conversationId: a, conversationUserId: b, userId: a, isTyping: true, fromAdmin: false),
        .user(userId: a, isAdmin: true), .user(userId: b, isAdmin: false), .user(userId: a, isAdmin: nil), .outbox, .usersCreated,
    ])
    func payloadsRoundTrip(_ event: RealtimeEvent) {
        #expect(event.payload.utf8.count < 8000)
        #expect(RealtimeEvent(payload: event.payload) == event)
        // Only a message announced by that origin is recognised as its own, unparsed.
        let own: Bool = if case .message(_, _, let origin) = event { origin == Self.b } else { false }
        #expect(RealtimeEvent.isAnnouncement(event.payload, from: Self.b) == own)
        #expect(!RealtimeEvent.isAnnouncement(event.payload, from: UUID()))
    }

    @Test func foreignPayloadsAreIgnored() {
        for payload in [
            "", "{}", #"{"k":"m","c":"x"}"#, #"{"k":"u"}"#, #"{"k":"u","u":"x","admin":true}"#,
            #"{"k":"z","c":"0192f1c4-0000-7000-8000-000000000001"}"#, "not json",
        ] {
            #expect(RealtimeEvent(payload: payload) == nil, "\(payload)")
        }
        // The documented manual announcement of a plain SQL insert.
        #expect(
            RealtimeEvent(payload: #"{"k":"m","id":"\#(Self.a.lowercasedString)","c":"\#(Self.b.lowercasedString)"}"#)
                == .message(id: Self.a, conversationId: Self.b))
        // What the trigger on users sends (json_build_object spaces its keys).
        #expect(
            RealtimeEvent(payload: #"{"k" : "u", "u" : "\#(Self.a.lowercasedString)", "admin" : false}"#) == .user(userId: Self.a, isAdmin: false))
    }
}

extension ProtocolModelTests {
    /// A nullable field is always present, as null when empty: a frame's cursor, an error's `retry_after` and `client_id`.
    @Test func emptyFieldsOfFramesAreNull() throws {
        var message = DirectFrameJSONTests.representation("hi", name: "al", admin: false, read: false, edited: false, cursor: nil)
        let withFile = MessageAttachment(id: UUID(), filename: "a.png", contentType: "image/png", size: 10, width: 1, height: 1)
        let frames: [(ServerFrame, [String])] = [
            (.message(message), ["cursor", "read_at", "edited_at"]),
            (
                .message(
                    {
                        message.attachments = [withFile]
                        return message
                    }()), ["cursor", "read_at", "edited_at"]
            ),
            (.replayed(count: 0, truncated: true, cursor: nil), ["cursor"]),
            (.error(code: "invalid_request", message: "no", retryAfter: nil, clientId: nil), ["retry_after", "client_id"]),
            (.messageRead(messageId: UUID(), readAt: .now(), readBy: nil), ["read_by"]),
        ]
        for (frame, nulls) in frames {
            for json in [frame.json, frame.encodedJSON] {
                let data = try #require(Self.object(json)?["data"] as? NSDictionary)
                for name in nulls { #expect(data[name] is NSNull, "\(name) in \(json)") }
            }
        }
        message.cursor = "c1"
        #expect((Self.object(ServerFrame.message(message).json)?["data"] as? NSDictionary)?["cursor"] as? String == "c1")
    }

    @Test func messageSentIsTheMessageWithItsClientId() throws {
        let frame = ServerFrame.messageSent(MessageRepresentation(Self.message, sender: Self.sender), clientId: Self.conversationId)
        let object = try #require(Self.object(frame.json))
        #expect(object["type"] as? String == "message_sent")
        let data = try #require(object["data"] as? [String: Any])
        #expect(data["client_id"] as? String == Self.conversationId.lowercasedString)
        #expect(data["id"] as? String == Self.message.id.lowercasedString)
        #expect(data["content"] as? String == Self.message.content)
    }
}
