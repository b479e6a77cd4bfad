import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging

/// `GET /ws/messages`: the real-time protocol. The token comes from `?token=` or `Authorization: Bearer`; the
/// Origin is checked against ALLOWED_ORIGINS (or this host) before anything else. A refused client gets an
/// `error` frame saying why and a close frame (4401 or 4403), since browsers cannot see an HTTP refusal.
struct WebSocketController {
    let service: MessagingService
    let hub: Hub
    let configuration: RealtimeConfiguration

    func addRoutes(to router: Router<RelayRequestContext>) {
        router.group("ws")
            .add(middleware: WebSocketAuthenticationMiddleware(service: service, allowedOrigins: configuration.allowedOrigins))
            .ws(
                "messages",
                shouldUpgrade: { _, _ in .upgrade([:]) },
                onUpgrade: { inbound, outbound, context in
                    if let refusal = context.requestContext.socketRefusal {
                        try await outbound.writeTextMessage(ServerFrame.error(code: refusal.code, message: refusal.message, retryAfter: nil).json)
                        try await outbound.close(.unknown(refusal.closeCode), reason: refusal.message)
                        return
                    }
                    let user = try context.requestContext.requireUser()
                    var resume: UUID?
                    var resumeError: ServerFrame?
                    if let text = context.request.queryString("last_message_id") {
                        resume = UUID(uuidString: text)
                        if resume == nil { resumeError = .error(code: "invalid_request", message: "last_message_id must be a UUID", retryAfter: nil) }
                    }
                    let channel = context.requestContext.channel
                    let session = WebSocketSession(
                        service: service, hub: hub, configuration: configuration, user: user, logger: context.logger,
                        cutOff: { channel.close(promise: nil) })
                    try await session.run(inbound: inbound, outbound: outbound, resumeFrom: resume, greeting: resumeError)
                })
    }
}

/// Checks the Origin, then authenticates the token of a WebSocket upgrade request.
struct WebSocketAuthenticationMiddleware: RouterMiddleware {
    typealias Context = RelayRequestContext
    let service: MessagingService
    let allowedOrigins: Set<String>?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if !Self.originAllowed(request.headers[.origin], host: request.head.authority, allowed: allowedOrigins) {
            context.socketRefusal = SocketRefusal(closeCode: 4403, code: "forbidden", message: "Origin not allowed")
        } else {
            do {
                context.user = try await service.authenticate(token: request.bearerToken ?? request.queryString("token"))
            } catch let error as AuthError {
                context.socketRefusal = SocketRefusal(closeCode: 4401, code: "unauthorized", message: error.description)
            }
        }
        return try await next(request, context)
    }

    /// No Origin (not a browser): allowed. With ALLOWED_ORIGINS: only those. Without: only this host.
    static func originAllowed(_ origin: String?, host: String?, allowed: Set<String>?) -> Bool {
        guard let origin else { return true }
        if let allowed { return allowed.contains(origin) }
        guard let host, let components = URLComponents(string: origin), let originHost = components.host else { return false }
        let originAuthority = components.port.map { "\(originHost):\($0)" } ?? originHost
        return originAuthority.lowercased() == host.lowercased()
    }
}
