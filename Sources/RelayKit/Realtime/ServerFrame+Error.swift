import Foundation
import Logging
import MsgLib

extension ServerFrame {
    /// The `error` frame for a failure: a classified error the client may see keeps its message, the code names its
    /// kind; a closing connection is `unavailable`; anything else is logged and sent as `internal`.
    static func error(for error: any Error, logger: Logger) -> ServerFrame {
        if let failure = (error as? any ClassifiedError)?.failure, let message = failure.publicMessage {
            return .error(code: failure.kind.frameCode, message: message, retryAfter: failure.retryAfter)
        }
        if error is CancellationError { return .error(code: "unavailable", message: "The connection is closing", retryAfter: nil) }
        logger.error("socket request failed", metadata: ["error": "\(String(reflecting: error))"])
        return .error(code: "internal", message: "Internal server error", retryAfter: nil)
    }
}

extension ServerFrame {
    /// This `error` frame as the answer to the `send_message` with `clientId`.
    func answering(_ clientId: UUID) -> ServerFrame {
        guard case .error(let code, let message, let retryAfter, _) = self else { return self }
        return .error(code: code, message: message, retryAfter: retryAfter, clientId: clientId)
    }
}

extension Failure.Kind {
    /// The `code` of an `error` frame of this kind.
    var frameCode: String {
        switch self {
        case .invalid: ServiceError.Kind.invalid.rawValue
        case .unauthenticated, .unauthorized: ServiceError.Kind.unauthorized.rawValue
        case .forbidden: ServiceError.Kind.forbidden.rawValue
        case .notFound: ServiceError.Kind.notFound.rawValue
        case .conflict: ServiceError.Kind.conflict.rawValue
        case .rateLimited: ServiceError.Kind.rateLimited.rawValue
        case .unavailable: ServiceError.Kind.unavailable.rawValue
        case .configuration, .usage, .noInput, .cantCreate, .busy, .failed, .internal: "internal"
        }
    }
}
