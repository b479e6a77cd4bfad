import HTTPTypes
import Hummingbird

/// Applies ``CORSPolicy`` to every request (before routing, so preflights of any API path are answered, and around the
/// error middleware, so refusals carry the headers too and a page can read why).
struct CORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: CORSPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        switch policy.decide(path: request.uri.path, method: request.method, headers: request.headers) {
        case .none:
            return try await next(request, context)
        case .preflight(let headers):
            return Response(status: .noContent, headers: headers)
        case .refusedPreflight:
            return APIError.jsonResponse(status: .forbidden, message: "Origin not allowed", headers: [.vary: "Origin"])
        case .allowed(let headers):
            var response = try await next(request, context)
            for field in headers { response.headers[field.name] = field.value }
            response.headers.append(HTTPField(name: .vary, value: "Origin"))
            return response
        case .notAllowed:
            var response = try await next(request, context)
            response.headers.append(HTTPField(name: .vary, value: "Origin"))
            return response
        }
    }
}
