import Foundation
import Hummingbird
import Logging
import MsgLib

/// Records every request in ``RelayMetrics`` and logs one line per request: method, route pattern, status, duration
/// in milliseconds and, for a failed request, the kind of error, with Hummingbird's request id. The raw path and
/// query (which may carry a token), headers and bodies are never logged.
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = RelayRequestContext
    let metrics: RelayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let outcome = RequestOutcome()
        let response = try await RequestOutcome.$current.withValue(outcome) { try await next(request, context) }
        let duration = ContinuousClock.now - start
        let route = context.endpointPath ?? "unmatched"
        metrics.record(route: route, method: request.method.rawValue, status: response.status.code, duration: duration)
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue), "route": .string(route), "status": .stringConvertible(response.status.code),
            "duration_ms": .stringConvertible(Self.milliseconds(duration)),
        ]
        if let kind = outcome.errorKind { metadata["error_kind"] = .string(kind) }
        context.logger.info("request", metadata: metadata)
        return response
    }

    /// `duration` in milliseconds, to the hundredth.
    static func milliseconds(_ duration: Duration) -> Double {
        (Double(duration.nanoseconds) / 10_000).rounded() / 100
    }
}
