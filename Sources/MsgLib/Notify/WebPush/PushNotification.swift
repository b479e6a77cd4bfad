import Foundation

/// A Web Push notification: the design's JSON payload, encrypted (RFC 8291) for one subscription and signed
/// (VAPID, RFC 8292) for its push service.
package struct PushNotification: Sendable, Equatable {
    package var title: String
    /// The text shown, at most ``bodyLimit`` characters.
    package var body: String
    package var conversationId: UUID?
    package var messageId: UUID?
    /// The message's files, in `data.attachments` (absent when there are none).
    package var attachments: [MessageAttachment] = []
    /// A reaction's notice: who reacted with what, in `data.reaction` (`{"emoji", "user_id"}`), so that a service worker
    /// tells two reactions to one message apart (absent for other notices).
    package var reaction: Reaction?

    /// The reaction a notice is about.
    package struct Reaction: Sendable, Equatable, Encodable {
        package var emoji: String
        package var user_id: String
    }
    /// The push service's `Topic` (RFC 8030 §5.4): a second copy of a notification (sent again after an answer that
    /// did not come in time) replaces the first while the service still holds it. Nil for none.
    package var topic: String?

    /// Characters of a message shown in a notification.
    package static let bodyLimit = 100

    package init(title: String, body: String, conversationId: UUID?, messageId: UUID?) {
        self.title = title
        self.body = Self.cut(body)
        self.conversationId = conversationId
        self.messageId = messageId
    }

    /// The notification of a new message; one with files says how many ("2 attachments"), after as much of the text
    /// as fits.
    package init(message: Message) {
        var body = message.content
        if !message.attachments.isEmpty {
            let note = MessageAttachment.countText(message.attachments.count)
            body = body.isEmpty ? note : String(body.prefix(Self.bodyLimit - note.count - 3)) + " (\(note))"
        }
        self.init(title: "New message", body: body, conversationId: message.conversationId, messageId: message.id)
        topic = Self.topic(message.id)
        attachments = message.attachments.map { file in
            var short = file
            // A push message holds about 4 KB: ten long names would not fit.
            if short.filename.count > Self.filenameLimit { short.filename = String(short.filename.prefix(Self.filenameLimit)) }
            return short
        }
    }

    /// Characters of a file name in `data.attachments`.
    static let filenameLimit = 60

    /// The notification `POST /api/push/test` and `msgctl push test` send.
    package static let test = PushNotification(
        title: "Test notification", body: "Push notifications reach this browser.", conversationId: nil, messageId: nil)

    /// `text` cut to ``bodyLimit`` characters, on a character boundary (never inside a grapheme cluster).
    static func cut(_ text: String) -> String {
        text.count <= bodyLimit ? text : String(text.prefix(bodyLimit))
    }

    private struct Payload: Encodable {
        struct Data: Encodable {
            var conversation_id: String?
            var message_id: String?
            var attachments: [MessageAttachment]
            var reaction: Reaction?
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(conversation_id, forKey: .conversation_id)
                try container.encode(message_id, forKey: .message_id)
                if !attachments.isEmpty { try container.encode(attachments, forKey: .attachments) }
                if let reaction { try container.encode(reaction, forKey: .reaction) }
            }
            enum CodingKeys: String, CodingKey { case conversation_id, message_id, attachments, reaction }
        }
        var title: String
        var body: String
        var data: Data
    }

    /// `{"title": ..., "body": ..., "data": {"conversation_id": ..., "message_id": ...}}` in UTF-8.
    /// With attachments whose list would not fit in one push message (``maxPayloadBytes``), the list is left out (the
    /// body still counts the files). A body still too long in bytes (its characters made of many scalars: emoji
    /// sequences, combining marks) keeps the most of its whole characters that fit, then "…"; a first character too
    /// long by itself, the most of its scalars.
    package var payload: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        func encoded(_ files: [MessageAttachment], _ body: String) -> [UInt8] {
            let value = Payload(
                title: title, body: body,
                data: .init(
                    conversation_id: conversationId?.lowercasedString, message_id: messageId?.lowercasedString, attachments: files,
                    reaction: reaction))
            return Array((try? encoder.encode(value)) ?? Data())
        }
        let full = encoded(attachments, body)
        if full.count <= Self.maxPayloadBytes { return full }
        let bare = attachments.isEmpty ? full : encoded([], body)
        if bare.count <= Self.maxPayloadBytes { return bare }
        // The longest prefix of whole characters that fits; only when not even one character does (a character of
        // many scalars: combining marks), the longest prefix of its scalars.
        let characters = Array(body)
        let whole = Self.longestFitting(characters.count) { encoded([], String(characters[..<$0]) + "…") }
        if whole > 0 { return encoded([], String(characters[..<whole]) + "…") }
        let scalars = Array(body.unicodeScalars)
        let part = Self.longestFitting(scalars.count) { encoded([], String(String.UnicodeScalarView(scalars[..<$0])) + "…") }
        return encoded([], String(String.UnicodeScalarView(scalars[..<part])) + "…")
    }

    /// The largest `n < count` whose `payload(n)` fits ``maxPayloadBytes`` (0 at worst); payloads grow with `n`.
    private static func longestFitting(_ count: Int, _ payload: (Int) -> [UInt8]) -> Int {
        var (low, high) = (0, max(0, count - 1))
        while low < high {
            let middle = (low + high + 1) / 2
            if payload(middle).count <= maxPayloadBytes { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// A message's topic: its id in base64url (22 characters of the 32 allowed).
    static func topic(_ id: UUID) -> String {
        withUnsafeBytes(of: id.uuid) { Base64URL.encode(Array($0)) }
    }

    /// The most bytes of JSON a notification carries: one 4,096-byte aes128gcm record holds at most 3,993 of plaintext.
    static let maxPayloadBytes = 3500

    /// The HTTP request that delivers this notification to `subscription`.
    /// - Parameters:
    ///   - ttl: seconds the push service keeps it while the browser is offline (`TTL`).
    ///   - address: the checked address of the push service to connect to (see ``EndpointPolicy``).
    /// - Throws: ``PushKeyError`` for stored keys that are not valid, ``WebPushError``, ``VAPIDError``.
    package func request(to subscription: PushSubscription, signer: VAPIDSigner, ttl: Int, address: ResolvedAddress?) throws -> HTTPClient.Request {
        let keys = try PushSubscriptionKeys(p256dh: subscription.p256dhKey, auth: subscription.authKey)
        let body = try WebPushEncryption.encrypt(payload, for: keys)
        return HTTPClient.Request(
            url: subscription.endpoint,
            headers: [
                ("Authorization", try signer.authorization(for: subscription.endpoint)),
                ("TTL", String(ttl)),
                ("Urgency", "normal"),
                ("Content-Encoding", "aes128gcm"),
                ("Content-Type", "application/octet-stream"),
            ] + (topic.map { [("Topic", $0)] } ?? []),
            body: body,
            pinnedAddress: address)
    }
}
