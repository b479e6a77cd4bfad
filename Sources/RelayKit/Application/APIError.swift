import Hummingbird
import MsgLib

/// An error a client may see: an HTTP status and the message of the `{"error": "..."}` body.
package struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    package let status: HTTPResponse.Status
    package let message: String
    package var headers: HTTPFields

    package init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        APIError.jsonResponse(status: status, message: message, headers: headers)
    }

    /// A `{"error": message}` response.
    static func jsonResponse(status: HTTPResponse.Status, message: String, headers: HTTPFields = [:]) -> Response {
        .json(["error": message], status: status, headers: headers)
    }
}
