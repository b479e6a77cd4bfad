import MsgLib
import Synchronization

/// What the inner layers learned of a request that its response does not say, for ``ObservabilityMiddleware``'s log
/// line: the kind of error it failed with. Reached through a task-local, set for the duration of each request.
final class RequestOutcome: Sendable {
    private let kind = Mutex<String?>(nil)

    /// The request's outcome, inside ``ObservabilityMiddleware``; nil elsewhere.
    @TaskLocal static var current: RequestOutcome?

    /// The kind of error the request failed with (`rate_limited`, `not_found`...), nil when it did not.
    var errorKind: String? {
        get { kind.withLock { $0 } }
        set { kind.withLock { $0 = newValue } }
    }
}

extension Failure.Kind {
    /// The kind as the log names it.
    var logName: String {
        switch self {
        case .invalid: "invalid"
        case .unauthenticated: "unauthenticated"
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .rateLimited: "rate_limited"
        case .unavailable: "unavailable"
        case .configuration: "configuration"
        case .usage: "usage"
        case .noInput: "no_input"
        case .cantCreate: "cant_create"
        case .busy: "busy"
        case .failed: "failed"
        case .internal: "internal"
        }
    }

    /// The kind an HTTP status stands for, for errors that carry only a status (Hummingbird's own, ``APIError``).
    static func forStatus(_ code: Int) -> Failure.Kind {
        switch code {
        case 400, 413, 415, 422: .invalid
        case 401: .unauthenticated
        case 403: .forbidden
        case 404, 405, 410: .notFound
        case 409: .conflict
        case 429: .rateLimited
        case 503: .unavailable
        case 400..<500: .invalid
        default: .internal
        }
    }
}
