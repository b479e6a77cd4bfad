import Hummingbird
import MsgLib
import NIOCore

/// The per-request context of msgrelay: Hummingbird's core storage and the
/// signed-in user once ``AuthenticationMiddleware`` has checked the bearer token.
package struct RelayRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The authenticated user, set for every route under `/api` (except the OpenAPI document).
    package var user: User?
    /// The user's place among their requests under way (``UserRequestGate``); nil for admins and unauthenticated paths.
    var requestPlace: UserRequestGate.Place?

    package init(source: Source) {
        coreContext = .init(source: source)
        user = nil
        requestPlace = nil
    }

    /// Bodies larger than this are refused with 413: a 10,000-character message fits many times over.
    package static let maxUploadSize = 256 * 1024
    /// ``maxUploadSize``, for handlers.
    package var maxUploadSize: Int { Self.maxUploadSize }

    /// The signed-in user. - Throws: ``AuthError/missingToken`` when no middleware set one.
    package func requireUser() throws -> User {
        guard let user else { throw AuthError.missingToken }
        return user
    }
}
