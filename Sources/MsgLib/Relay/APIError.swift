import Hummingbird

/// An error a client may see: an HTTP status and the message of the `{"error": "..."}` body.
public struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        APIError.jsonResponse(status: status, message: message, headers: headers)
    }

    /// A `{"error": message}` response.
    static func jsonResponse(status: HTTPResponse.Status, message: String, headers: HTTPFields = [:]) -> Response {
        .json(["error": message], status: status, headers: headers)
    }
}
