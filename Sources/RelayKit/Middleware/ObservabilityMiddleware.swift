import Foundation
import Hummingbird
import Logging
import MsgLib

/// Records every request in ``RelayMetrics`` and logs one line per request: method, route pattern, status and
/// duration, with Hummingbird's request id. The raw path and query (which may carry a token) are never logged.
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = RelayRequestContext
    let metrics: RelayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let duration = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.record(route: route, method: request.method.rawValue, status: response.status.code, duration: duration)
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue), "route": .string(route), "status": .stringConvertible(response.status.code),
                "ms": .string(String(format: "%.2f", Double(duration.nanoseconds) / 1e6)),
            ])
        return response
    }
}
