import Foundation
import MsgLib

/// A frame encoded once, for every socket it goes to.
struct OutgoingFrame: Sendable {
    let json: String
    /// Set on `message` frames, so a socket gets each message once.
    let messageId: UUID?

    init(_ frame: ServerFrame) {
        json = frame.json
        messageId = frame.messageId
    }

    /// A frame from text already encoded (tests, and callers that encode themselves).
    init(json: String, messageId: UUID?) {
        self.json = json
        self.messageId = messageId
    }
}
