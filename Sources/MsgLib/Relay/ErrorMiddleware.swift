import Hummingbird
import Logging

/// Turns every error into a JSON `{"error": "..."}` response: ``APIError``s as they are, Hummingbird's
/// own errors (unknown route, bad body) with their status, and anything else as a logged 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return APIError.jsonResponse(status: error.status, message: error.message, headers: error.headers)
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "Not found" : error.status.reasonPhrase)
            return APIError.jsonResponse(status: error.status, message: message, headers: error.headers)
        } catch let error as DatabaseError where error.kind == .unavailable {
            context.logger.error("database unavailable", metadata: ["error": "\(error)"])
            return APIError.jsonResponse(status: .serviceUnavailable, message: "Database unavailable")
        } catch let error as any HTTPResponseError {
            return APIError.jsonResponse(status: error.status, message: error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return APIError.jsonResponse(status: .internalServerError, message: "Internal server error")
        }
    }
}
