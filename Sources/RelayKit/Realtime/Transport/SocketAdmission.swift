import Foundation
import MsgLib
import NIOHTTP1

/// The decision on a WebSocket upgrade request to `/ws/messages`: the Origin is checked against
/// ALLOWED_ORIGINS (or this host), then the token from `?token=` or `Authorization: Bearer` is verified.
///
/// A refused client still gets its socket, to read an `error` frame saying why before the close frame (4401
/// bad or missing token, 4403 Origin not allowed, 1011 database unavailable): browsers cannot see the HTTP
/// status of a refused upgrade.
enum SocketAdmission: Sendable {
    /// The socket serves `user` until `expires` (the token's expiry, seconds since the epoch), resuming after
    /// `resumeFrom`; `greeting` follows the `connected` frame; `reservation` holds its place among the user's sockets
    /// until it registers. (Boxed: a socket's handler keeps a pointer to it until it is used, not its bytes.)
    indirect case accepted(User, expires: Int64, resumeFrom: ResumePoint?, greeting: ServerFrame?, reservation: SocketReservation)
    /// The socket only says why it is refused.
    case refused(ClientConnection.CloseReason, code: String, message: String)

    /// The path of the real-time endpoint.
    static let path = "/ws/messages"

    /// Decides on the upgrade request `head`.
    static func decide(_ head: HTTPRequestHead, service: MessagingService, hub: Hub, configuration: RealtimeConfiguration) async -> SocketAdmission {
        // A stopping relay sends its clients elsewhere; it does not let them back in while it waits for the last ones.
        guard !hub.isClosing else { return Self.stopping }
        let allowedOrigins = configuration.allowedOrigins
        guard originAllowed(head.headers.first(name: "origin"), host: head.headers.first(name: "host"), allowed: allowedOrigins) else {
            return .refused(.refused(4403, "Origin not allowed"), code: "forbidden", message: "Origin not allowed")
        }
        let query = URLComponents(string: head.uri)?.queryItems ?? []
        func parameter(_ name: String) -> String? { query.first { $0.name == name }?.value }
        let user: User
        let expires: Int64
        do {
            (user, expires) = try await service.authenticateUntil(
                token: BearerToken.parse(head.headers.first(name: "authorization")) ?? parameter("token"))
        } catch {
            // Refused credentials close with 4401, saying what was wrong with them; anything else (the database) with 1011.
            if let failure = (error as? any ClassifiedError)?.failure, failure.kind == .unauthenticated, let message = failure.publicMessage {
                return .refused(.refused(4401, message), code: "unauthorized", message: message)
            }
            return .refused(.refused(1011, "Database unavailable"), code: "unavailable", message: "Database unavailable")
        }
        guard let reservation = hub.reserve(user.id, maxPerUser: configuration.maxSocketsPerUser) else { return Self.tooManySockets }
        var resume: ResumePoint?
        var greeting: ServerFrame?
        do {
            resume = try ResumePoint.parse(cursor: parameter("cursor"), lastMessageId: parameter("last_message_id"))
        } catch {
            greeting = .error(code: "invalid_request", message: error.message, retryAfter: nil)
        }
        return .accepted(user, expires: expires, resumeFrom: resume, greeting: greeting, reservation: reservation)
    }

    /// The refusal of a socket that comes while the relay stops (close 1001, as the sockets it closed).
    static let stopping = SocketAdmission.refused(.goingAway, code: "unavailable", message: "Server shutting down; reconnect")

    /// The refusal of a socket beyond the user's limit (close 4429).
    static let tooManySockets = SocketAdmission.refused(
        .refused(4429, "Too many open sockets"), code: tooManySocketsCode, message: "Too many open sockets for this user")
    /// The `error` frame's code of ``tooManySockets``.
    static let tooManySocketsCode = "too_many_sockets"

    /// No Origin (not a browser): allowed. With ALLOWED_ORIGINS: only those. Without: only this host, by name, and by
    /// port when the `Host` header names one (its scheme's default port when the Origin names none). A proxy that
    /// passes nginx's `$host` drops the port, so a `Host` without one matches the name on any port.
    static func originAllowed(_ origin: String?, host: String?, allowed: Set<String>?) -> Bool {
        guard let origin else { return true }
        if let allowed { return allowed.contains(origin) }
        guard let host, let components = URLComponents(string: origin), let originHost = components.host, !originHost.isEmpty,
            let relay = URLComponents(string: "http://" + host), let relayHost = relay.host, relay.path.isEmpty, relay.user == nil
        else { return false }
        guard originHost.lowercased() == relayHost.lowercased() else { return false }
        guard let relayPort = relay.port else { return true }
        let defaultPort = ["https": 443, "http": 80][components.scheme?.lowercased() ?? ""]
        return (components.port ?? defaultPort) == relayPort
    }
}
