import Foundation
import MsgLib

/// Where msgctl's socket resumes from, as the protocol asks (docs/protocol.md, "Resume"): the cursor of the last
/// message processed, except that a replay cut short (`replayed` with `truncated`) is followed by a `resume` from its
/// last replayed message, page after page, and until a replay ends whole no live frame's cursor is kept (it would
/// claim the messages not replayed yet). A plain state machine over server frames, tested without sockets.
struct ResumeTracker: Sendable, Equatable {
    /// The cursor a new socket resumes from.
    private(set) var cursor: String?
    /// The newest message seen (from frames, or shown from the database): where a socket without a cursor resumes.
    private(set) var lastMessageId: String?
    /// During a catch-up by id (pages of messages without cursors), the last message of the last page: the point to
    /// resume from, which live messages (newer ids) must not move past the gap.
    private var catchUpId: String?
    /// The last message frame of this socket since it opened or last resumed, and its cursor (nil: it had none).
    private var lastFrameId: String?
    private var lastFrameCursor: String?
    /// Whether a truncated replay is being followed up.
    private(set) var catchingUp = false
    /// Whether this socket opened without a resume point: it replays the unread messages, whose cut-short list is not
    /// resumed (the rest is for REST).
    private var replayingUnread = false

    /// - Parameter cursor: where the first socket resumes from (nil: it replays the unread messages).
    init(cursor: String? = nil) {
        self.cursor = cursor
    }

    /// Remembers a message shown (also from the database), so that a socket without a cursor resumes after it.
    mutating func saw(messageId: String) {
        if lastMessageId.map({ messageId > $0 }) ?? true { lastMessageId = messageId }
    }

    /// A new socket opens: the query that resumes it (`cursor=`, `last_message_id=`, or nothing).
    mutating func opening() -> String? {
        lastFrameId = nil
        lastFrameCursor = nil
        // A new socket replays afresh (what the last one left unfinished counts for nothing).
        catchingUp = false
        replayingUnread = false
        if let cursor { return "cursor=\(cursor)" }
        if let id = catchUpId ?? lastMessageId { return "last_message_id=\(id)" }
        replayingUnread = true
        return nil
    }

    /// A frame from the relay; the frame to send back, when a replay was cut short (a `resume` for the rest).
    mutating func received(_ frame: ServerFrame) -> ClientFrame? {
        switch frame {
        case .message(let message):
            saw(messageId: message.id)
            lastFrameId = message.id
            lastFrameCursor = message.cursor
            if let next = message.cursor, !catchingUp { cursor = next }
            return nil
        case .replayed(let count, let truncated, let replayedCursor):
            let unreadList = replayingUnread
            replayingUnread = false
            // A page with messages to resume from: the last one carries a cursor, or (resuming by id) none does.
            let progressed = !unreadList && count > 0 && (lastFrameCursor != nil || (lastFrameId != nil && cursor == nil))
            defer {
                lastFrameId = nil
                lastFrameCursor = nil
            }
            if truncated, progressed {
                catchingUp = true
                if let next = lastFrameCursor, let parsed = ResumeCursor(token: next) {
                    cursor = next
                    return .resume(.cursor(parsed))
                }
                if let id = lastFrameId, let parsed = UUID(uuidString: id) {
                    catchUpId = id
                    return .resume(.messageId(parsed))
                }
                return nil
            }
            // Whole; or cut short with nothing to resume from, which the same resume would only repeat.
            catchingUp = false
            catchUpId = nil
            if let replayedCursor { cursor = replayedCursor }
            return nil
        default:
            return nil
        }
    }
}
