import Hummingbird
import Logging
import MsgLib

/// Turns every error into a JSON `{"error": "..."}` response: the service's refusals with their status,
/// authentication failures as 401, Hummingbird's own errors (unknown route, body too large) with theirs,
/// an unreachable database as 503, and anything else as a logged 500 that tells the client nothing internal.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, logger: context.logger)
        }
    }

    static func response(for error: any Error, logger: Logger) -> Response {
        switch error {
        case let error as APIError:
            return APIError.jsonResponse(status: error.status, message: error.message, headers: error.headers)
        case let error as ServiceError:
            var headers: HTTPFields = [:]
            if let retry = error.retryAfter { headers[.retryAfter] = String(retry) }
            return APIError.jsonResponse(status: status(for: error.kind), message: error.message, headers: headers)
        case let error as AuthError:
            return APIError.jsonResponse(status: .unauthorized, message: error.description, headers: [.wwwAuthenticate: "Bearer"])
        case let error as HTTPError:
            let message = error.body ?? (error.status == .notFound ? "Not found" : error.status.reasonPhrase)
            return APIError.jsonResponse(status: error.status, message: message, headers: error.headers)
        case let error as DatabaseError where error.kind == .unavailable:
            logger.error("database unavailable", metadata: ["error": "\(error)"])
            return APIError.jsonResponse(status: .serviceUnavailable, message: "Database unavailable")
        case let error as any HTTPResponseError:
            return APIError.jsonResponse(status: error.status, message: error.status.reasonPhrase)
        default:
            logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return APIError.jsonResponse(status: .internalServerError, message: "Internal server error")
        }
    }

    static func status(for kind: ServiceError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .invalid: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .rateLimited: .tooManyRequests
        case .unavailable: .serviceUnavailable
        }
    }
}
