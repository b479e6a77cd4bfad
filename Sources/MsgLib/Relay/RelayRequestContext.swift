import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The per-request context of msgrelay: Hummingbird's core storage, the WebSocket handler slot, and the
/// signed-in user once ``AuthenticationMiddleware`` has checked the bearer token.
public struct RelayRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The authenticated user, set for every route under `/api` (except the OpenAPI document).
    public var user: User?
    /// Why a WebSocket upgrade is refused: the socket is opened, told why in an `error` frame, and closed.
    var socketRefusal: SocketRefusal?
    /// The connection's channel, to cut off a WebSocket client that stopped reading.
    let channel: any Channel

    public init(source: Source) {
        coreContext = .init(source: source)
        channel = source.channel
        webSocket = .init()
        user = nil
        socketRefusal = nil
    }

    /// Bodies larger than this are refused with 413: a 10,000-character message fits many times over.
    public var maxUploadSize: Int { 256 * 1024 }

    /// The signed-in user. - Throws: ``AuthError/missingToken`` when no middleware set one.
    public func requireUser() throws -> User {
        guard let user else { throw AuthError.missingToken }
        return user
    }
}

/// A WebSocket the server accepts only to say why it will not serve it, then close it with `closeCode`
/// (4401 bad or missing token, 4403 Origin not allowed). Browsers cannot read a refused upgrade's HTTP status.
struct SocketRefusal: Sendable {
    var closeCode: UInt16
    var code: String
    var message: String
}
