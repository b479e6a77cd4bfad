import Hummingbird
import Logging
import MsgLib

/// Turns every error into a JSON `{"error": "..."}` response: a classified error as its ``Failure`` says (the
/// service's refusals, authentication failures, an unreachable database), Hummingbird's own errors (unknown
/// route, body too large) with their status, and anything else as a logged 500 that tells the client nothing internal.
/// The error's kind goes to the request's log line (``RequestOutcome``).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let response = Self.response(for: error, logger: context.logger)
            RequestOutcome.current?.errorKind = Self.kind(of: error, status: response.status.code).logName
            return response
        }
    }

    static func response(for error: any Error, logger: Logger) -> Response {
        switch error {
        case let error as APIError:
            return APIError.jsonResponse(status: error.status, message: error.message, headers: error.headers)
        case let error as any ClassifiedError:
            let failure = error.failure
            guard let reply = failure.httpReply else { return internalError(error, logger: logger) }
            if failure.isLogged { logger.error("request failed: \(reply.message)", metadata: ["error": "\(error)"]) }
            return APIError.jsonResponse(status: reply.status, message: reply.message, headers: reply.headers)
        case let error as HTTPError:
            let message = error.body ?? (error.status == .notFound ? "Not found" : error.status.reasonPhrase)
            return APIError.jsonResponse(status: error.status, message: message, headers: error.headers)
        case let error as any HTTPResponseError:
            return APIError.jsonResponse(status: error.status, message: error.status.reasonPhrase)
        default:
            return internalError(error, logger: logger)
        }
    }

    /// The kind of `error`, answered with `status`.
    static func kind(of error: any Error, status: Int) -> Failure.Kind {
        if !(error is APIError), let classified = error as? any ClassifiedError, classified.failure.httpReply != nil {
            return classified.failure.kind
        }
        return .forStatus(status)
    }

    /// A logged 500 that tells the client nothing internal.
    private static func internalError(_ error: any Error, logger: Logger) -> Response {
        logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
        return APIError.jsonResponse(status: .internalServerError, message: "Internal server error")
    }
}
