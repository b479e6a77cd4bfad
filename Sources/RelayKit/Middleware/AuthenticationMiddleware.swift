import Hummingbird
import MsgLib

/// Authenticates `Authorization: Bearer <jwt>` through the service and stores the user in the context.
/// Every failure is a 401 (the error middleware renders it).
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = RelayRequestContext
    let service: MessagingService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.user = try await service.authenticate(token: request.bearerToken)
        return try await next(request, context)
    }
}

extension Request {
    /// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any.
    var bearerToken: String? { BearerToken.parse(headers[.authorization]) }
}
