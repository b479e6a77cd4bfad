import Foundation

/// What travels between relays on the `msgrelay_events` channel: ids, never content (payloads stay far below
/// PostgreSQL's 8000-byte limit). Each relay reads the rows back and delivers them to its own sockets.
package enum RealtimeEvent: Sendable, Equatable {
    /// Messages were committed, up to this one; `origin` names the process that announced them (a relay skips its own).
    case message(id: UUID, conversationId: UUID, origin: UUID? = nil)
    /// A message of the conversation of `conversationUserId` was read by `readBy`.
    case read(messageId: UUID, conversationId: UUID, conversationUserId: UUID, readAt: Timestamp, readBy: UUID?)
    /// `userId` started or stopped typing in the conversation of `conversationUserId`.
    case typing(conversationId: UUID, conversationUserId: UUID, userId: UUID, isTyping: Bool, fromAdmin: Bool)
    /// User `userId` changed: now an admin or not (`isAdmin`), or deleted (nil). Sent by a trigger on `users`.
    case user(userId: UUID, isAdmin: Bool?)
    /// Users were created (one announcement per statement, by a trigger on `users`): an id unknown before may be known now.
    case usersCreated
    /// The reactions of a message changed: the relays' sweeps read the change (``ReactionChange``) in commit order.
    case reaction(messageId: UUID, conversationId: UUID)
    /// Notification jobs were queued without a message (a Slack parent update): the relays' outbox workers look.
    case outbox

    /// The NOTIFY channel.
    package static let channel = "msgrelay_events"

    private struct Wire: Codable {
        var k: String
        var id: String?
        var c: String?
        var at: String?
        var by: String?
        var u: String?
        var on: Bool?
        var admin: Bool?
        var cu: String?
        var o: String?
    }

    /// The JSON payload for `pg_notify`.
    package var payload: String {
        let wire: Wire
        switch self {
        case .message(let id, let conversationId, let origin):
            wire = Wire(k: "m", id: id.lowercasedString, c: conversationId.lowercasedString, o: origin?.lowercasedString)
        case .read(let messageId, let conversationId, let conversationUserId, let readAt, let readBy):
            wire = Wire(
                k: "r", id: messageId.lowercasedString, c: conversationId.lowercasedString, at: readAt.rfc3339, by: readBy?.lowercasedString,
                cu: conversationUserId.lowercasedString)
        case .typing(let conversationId, let conversationUserId, let userId, let isTyping, let fromAdmin):
            wire = Wire(
                k: "t", c: conversationId.lowercasedString, u: userId.lowercasedString, on: isTyping, admin: fromAdmin,
                cu: conversationUserId.lowercasedString)
        case .user(let userId, let isAdmin):
            wire = Wire(k: "u", u: userId.lowercasedString, admin: isAdmin)
        case .reaction(let messageId, let conversationId):
            wire = Wire(k: "x", id: messageId.lowercasedString, c: conversationId.lowercasedString)
        case .outbox:
            wire = Wire(k: "o")
        case .usersCreated:
            wire = Wire(k: "n")
        }
        return String(decoding: (try? JSONEncoder().encode(wire)) ?? Data(), as: UTF8.self)
    }

    /// Whether `payload` announces messages committed by the process whose announcements carry `origin`, without
    /// parsing it: a relay hears its own announcements and needs none of them.
    package static func isAnnouncement(_ payload: String, from origin: UUID) -> Bool {
        payload.contains(#""o":"\#(origin.lowercasedString)""#)
    }

    /// Parses a payload; nil for anything not ours.
    package init?(payload: String) {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(payload.utf8)) else { return nil }
        if wire.k == "o" {
            self = .outbox
            return
        }
        if wire.k == "n" {
            self = .usersCreated
            return
        }
        if wire.k == "u" {
            guard let u = wire.u.flatMap(UUID.init(uuidString:)) else { return nil }
            self = .user(userId: u, isAdmin: wire.admin)
            return
        }
        guard let c = wire.c.flatMap(UUID.init(uuidString:)) else { return nil }
        switch wire.k {
        case "m":
            guard let id = wire.id.flatMap(UUID.init(uuidString:)) else { return nil }
            self = .message(id: id, conversationId: c, origin: wire.o.flatMap(UUID.init(uuidString:)))
        case "r":
            guard let id = wire.id.flatMap(UUID.init(uuidString:)), let at = wire.at.flatMap(Timestamp.init(rfc3339:)),
                let cu = wire.cu.flatMap(UUID.init(uuidString:))
            else { return nil }
            self = .read(messageId: id, conversationId: c, conversationUserId: cu, readAt: at, readBy: wire.by.flatMap(UUID.init(uuidString:)))
        case "x":
            guard let id = wire.id.flatMap(UUID.init(uuidString:)) else { return nil }
            self = .reaction(messageId: id, conversationId: c)
        case "t":
            guard let u = wire.u.flatMap(UUID.init(uuidString:)), let on = wire.on, let cu = wire.cu.flatMap(UUID.init(uuidString:)) else {
                return nil
            }
            self = .typing(conversationId: c, conversationUserId: cu, userId: u, isTyping: on, fromAdmin: wire.admin ?? false)
        default:
            return nil
        }
    }
}
