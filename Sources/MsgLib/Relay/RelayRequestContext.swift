import Hummingbird
import HummingbirdWebSocket

/// The per-request context of msgrelay: Hummingbird's core storage, the WebSocket handler slot, and the
/// signed-in user once ``AuthenticationMiddleware`` has checked the bearer token.
public struct RelayRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The authenticated user, set for every route under `/api` (except the OpenAPI document).
    public var user: User?

    public init(source: Source) {
        coreContext = .init(source: source)
        webSocket = .init()
        user = nil
    }

    /// Bodies larger than this are refused with 413: a 10,000-character message fits many times over.
    public var maxUploadSize: Int { 256 * 1024 }

    /// The signed-in user. - Throws: ``AuthError/missingToken`` when no middleware set one.
    public func requireUser() throws -> User {
        guard let user else { throw AuthError.missingToken }
        return user
    }
}
