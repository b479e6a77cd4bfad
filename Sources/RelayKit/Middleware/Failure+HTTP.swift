import Hummingbird
import MsgLib

/// What an HTTP client is told of a failure: a status, the `{"error": message}` body, and headers.
struct HTTPFailureReply: Sendable, Equatable {
    var status: HTTPResponse.Status
    var message: String
    var headers: HTTPFields
}

extension Failure {
    /// The reply for a failure the client may see; nil for one it must not (answered as a logged 500).
    var httpReply: HTTPFailureReply? {
        guard let publicMessage else { return nil }
        var headers: HTTPFields = [:]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if kind == .unauthenticated { headers[.wwwAuthenticate] = "Bearer" }
        return HTTPFailureReply(status: httpStatus, message: publicMessage, headers: headers)
    }

    /// The status of the failure's kind.
    var httpStatus: HTTPResponse.Status {
        switch kind {
        case .invalid: .badRequest
        case .unauthenticated, .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .rateLimited: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .configuration, .usage, .noInput, .cantCreate, .busy, .failed, .internal: .internalServerError
        }
    }
}
