import Hummingbird
import MsgLib

/// Authenticates `Authorization: Bearer <jwt>` through the service and stores the user in the context, for every
/// path under `/api/` but Slack's (signed by Slack, or its install pages) and the OpenAPI document. Every failure is a 401 (the error
/// middleware renders it). It runs for the whole router, before routing: a path or method that does not exist is 401
/// without a token too, so the API's routes cannot be told from others without one.
///
/// A user's requests under way at once are limited (``UserRequestGate``): one more is refused with 429 and `Retry-After`.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = RelayRequestContext
    let service: MessagingService
    let gate: UserRequestGate

    init(service: MessagingService, gate: UserRequestGate = UserRequestGate()) {
        self.service = service
        self.gate = gate
    }

    /// Whether `path` needs a bearer token.
    static func guards(_ path: String) -> Bool {
        (path == "/api" || path.hasPrefix("/api/")) && !path.hasPrefix("/api/slack/") && path != "/api/openapi.json"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.guards(request.uri.path) else { return try await next(request, context) }
        var context = context
        let user = try await service.authenticate(token: request.bearerToken)
        context.user = user
        guard !user.isAdmin else { return try await next(request, context) }
        let place = try gate.place(for: user.id)
        context.requestPlace = place
        // Given back here unless the answer's body holds it (a download).
        defer { if !place.isHeld { place.leave() } }
        return try await next(request, context)
    }
}

extension Request {
    /// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any.
    var bearerToken: String? { BearerToken.parse(headers[.authorization]) }
}
