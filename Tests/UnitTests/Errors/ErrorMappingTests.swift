import Foundation
import Hummingbird
import Logging
import Testing

@testable import MsgLib
@testable import MsgctlKit
@testable import RelayKit

/// How each kind of error reaches a client or an admin, for all three transports: the HTTP response, the WebSocket
/// `error` frame and msgctl's (or msgrelay's) exit status. No database.
@Suite struct ErrorMappingTests {
    /// What one error becomes: HTTP status, body message and headers; the `error` frame; the exit status.
    struct Expected: Sendable, CustomStringConvertible {
        var error: any Error & Sendable
        var status: HTTPResponse.Status
        var message: String
        /// Header values by lowercased name: `retry-after`, `www-authenticate`.
        var headers: [String: String] = [:]
        var frame: ServerFrame
        var exit: MsgLib.ExitStatus
        var description: String { String(reflecting: error) }
    }

    /// Logs nothing: the failures logged here are expected.
    static let logger = Logger(label: "ErrorMappingTests", factory: { _ in SwiftLogNoOpLogHandler() })
    static let internalFrame = ServerFrame.error(code: "internal", message: "Internal server error", retryAfter: nil)

    static func service(_ kind: ServiceError.Kind, _ status: HTTPResponse.Status, _ exit: MsgLib.ExitStatus, retryAfter: Int? = nil) -> Expected {
        let error = ServiceError(kind, "refused: \(kind)", retryAfter: retryAfter)
        return Expected(
            error: error, status: status, message: error.message, headers: retryAfter.map { ["retry-after": String($0)] } ?? [:],
            frame: .error(code: kind.rawValue, message: error.message, retryAfter: retryAfter), exit: exit)
    }

    static func database(_ kind: DatabaseError.Kind, _ exit: MsgLib.ExitStatus) -> Expected {
        Expected(
            error: DatabaseError(kind, message: "duplicate key value violates unique constraint", statement: "INSERT INTO users ..."),
            status: .internalServerError, message: "Internal server error", frame: internalFrame, exit: exit)
    }

    /// A database refusal of the client's input: told by kind, never with the server's message.
    static func refusedByDatabase(_ kind: DatabaseError.Kind, _ status: HTTPResponse.Status, _ message: String, code: String) -> Expected {
        Expected(
            error: DatabaseError(kind, message: "duplicate key value violates unique constraint \"users_username_key\""), status: status,
            message: message, frame: .error(code: code, message: message, retryAfter: nil), exit: .dataError)
    }

    static func userFacing(_ exit: MsgLib.ExitStatus) -> Expected {
        Expected(
            error: UserFacingError("cannot write /tmp/x", exitStatus: exit), status: .internalServerError, message: "Internal server error",
            frame: internalFrame, exit: exit)
    }

    struct Unknown: Error {}

    static let table: [Expected] =
        [
            service(.invalid, .badRequest, .dataError),
            service(.unauthorized, .unauthorized, .noPermission),
            service(.forbidden, .forbidden, .noPermission),
            service(.notFound, .notFound, .noUser),
            service(.conflict, .conflict, .dataError),
            service(.rateLimited, .tooManyRequests, .tempFail, retryAfter: 12),
            service(.rateLimited, .tooManyRequests, .tempFail),
            service(.unavailable, .serviceUnavailable, .unavailable),
            Expected(
                error: AuthError.expiredToken, status: .unauthorized, message: "Token expired", headers: ["www-authenticate": "Bearer"],
                frame: .error(code: "unauthorized", message: "Token expired", retryAfter: nil), exit: .failure),
            Expected(
                error: AuthError.missingToken, status: .unauthorized, message: "Missing bearer token", headers: ["www-authenticate": "Bearer"],
                frame: .error(code: "unauthorized", message: "Missing bearer token", retryAfter: nil), exit: .failure),
            Expected(
                error: DatabaseError(.unavailable, message: "connection refused"), status: .serviceUnavailable, message: "Database unavailable",
                frame: .error(code: "unavailable", message: "Database unavailable", retryAfter: nil), exit: .unavailable),
            Expected(
                error: DatabaseError(.unavailable, message: "no database connection free within 10 s", retryAfter: 1),
                status: .serviceUnavailable, message: "Database unavailable", headers: ["retry-after": "1"],
                frame: .error(code: "unavailable", message: "Database unavailable", retryAfter: 1), exit: .unavailable),
            Expected(
                error: DatabaseError(
                    sqlState: "57014", message: "canceling statement due to statement timeout", detail: nil, constraint: nil,
                    statement: "SELECT ..."),
                status: .serviceUnavailable, message: "Database unavailable", headers: ["retry-after": "5"],
                frame: .error(code: "unavailable", message: "Database unavailable", retryAfter: 5), exit: .unavailable),
            refusedByDatabase(.conflict, .conflict, "This conflicts with data already stored", code: "conflict"),
            refusedByDatabase(
                .validation, .badRequest, "A value in the request cannot be stored (invalid or out of range)", code: "invalid_request"),
            refusedByDatabase(.reference, .badRequest, "The request refers to something that does not exist", code: "invalid_request"),
            database(.decoding, .software),
            database(.query, .software),
            Expected(
                error: ConfigurationError("JWT_SECRET is not set"), status: .internalServerError, message: "Internal server error",
                frame: internalFrame, exit: .config),
            Expected(
                error: CancellationError(), status: .internalServerError, message: "Internal server error",
                frame: .error(code: "unavailable", message: "The connection is closing", retryAfter: nil), exit: .failure),
            Expected(error: Unknown(), status: .internalServerError, message: "Internal server error", frame: internalFrame, exit: .failure),
        ] + MsgLib.ExitStatus.allStatuses.filter { $0 != .success }.map(userFacing)

    @Test(arguments: table)
    func httpResponse(_ expected: Expected) throws {
        let response = ErrorMiddleware<BasicRequestContext>.response(for: expected.error, logger: Self.logger)
        #expect(response.status == expected.status)
        let headers = Dictionary(response.headers.map { ($0.name.canonicalName, $0.value) }, uniquingKeysWith: { $1 })
        #expect(headers["content-type"] == "application/json; charset=utf-8")
        for name in ["retry-after", "www-authenticate"] {
            #expect(headers[name] == expected.headers[name], "\(name)")
        }
        let reply = (expected.error as? any ClassifiedError)?.failure.httpReply
        #expect((reply?.message ?? "Internal server error") == expected.message)
    }

    @Test(arguments: table)
    func webSocketFrame(_ expected: Expected) {
        #expect(ServerFrame.error(for: expected.error, logger: Self.logger) == expected.frame)
        #expect(SocketSession.errorFrame(for: expected.error, logger: Self.logger) == expected.frame)
    }

    @Test(arguments: table)
    func exitStatus(_ expected: Expected) {
        #expect(MsgLib.ExitStatus.forError(expected.error) == expected.exit)
    }

    /// Hummingbird's own errors keep their status and message.
    @Test func hummingbirdErrors() {
        let notFound = ErrorMiddleware<BasicRequestContext>.response(for: HTTPError(.notFound), logger: Self.logger)
        #expect(notFound.status == .notFound)
        let tooLarge = ErrorMiddleware<BasicRequestContext>.response(for: HTTPError(.contentTooLarge, message: "Too big"), logger: Self.logger)
        #expect(tooLarge.status == .contentTooLarge)
        let api = ErrorMiddleware<BasicRequestContext>.response(for: APIError(.badRequest, "Invalid JSON body"), logger: Self.logger)
        #expect(api.status == .badRequest)
    }

    /// Every kind maps somewhere in every transport, and kinds no client may see stay internal.
    @Test(arguments: Failure.Kind.allCases)
    func everyKindMaps(_ kind: Failure.Kind) {
        let failure = Failure(kind, publicMessage: "told")
        let internalKinds: [Failure.Kind] = [.configuration, .usage, .noInput, .cantCreate, .busy, .failed, .internal]
        #expect((failure.httpStatus == .internalServerError) == internalKinds.contains(kind))
        #expect((kind.frameCode == "internal") == internalKinds.contains(kind))
        #expect(Failure(kind).httpReply == nil)
        _ = MsgLib.ExitStatus(kind)
    }
}

extension MsgLib.ExitStatus {
    /// Every status (ExitStatus is not CaseIterable: it is public API).
    static let allStatuses: [MsgLib.ExitStatus] = (0...255).compactMap { MsgLib.ExitStatus(rawValue: Int32($0)) }
}
