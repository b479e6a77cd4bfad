import Foundation
import MsgLib

/// A frame encoded once, for every socket it goes to.
struct OutgoingFrame: Sendable {
    let json: String
    /// Set on `message` frames, so a socket gets each message once.
    let messageId: UUID?
    /// The frame's type (``ServerFrame/type``), for the metrics.
    let type: String

    init(_ frame: ServerFrame) {
        json = frame.json
        messageId = frame.messageId
        type = frame.type
    }

    /// A frame from text already encoded (tests, and callers that encode themselves).
    init(json: String, messageId: UUID?, type: String = "") {
        self.json = json
        self.messageId = messageId
        self.type = type
    }
}
