import Hummingbird
import MsgLib

/// `GET /ws/messages` without a WebSocket upgrade: 426 saying how to connect. Upgrades never reach the
/// router; ``RelayChildChannel`` serves them.
struct WebSocketController {
    func addRoutes(to router: Router<RelayRequestContext>) {
        router.get("ws/messages") { _, _ -> Response in
            throw APIError(
                .upgradeRequired, "This endpoint speaks WebSocket: send an upgrade request", headers: [.upgrade: "websocket", .connection: "Upgrade"])
        }
    }
}
