import Hummingbird
import MsgLib

/// `/api/push/...`: a browser's Web Push subscription, a test notification, and the VAPID public key the
/// browser needs to subscribe.
struct PushController {
    let service: MessagingService

    func addRoutes(to group: RouterGroup<RelayRequestContext>) {
        group.post("push/subscribe", use: subscribe)
        group.delete("push/subscribe", use: unsubscribe)
        group.post("push/test", use: test)
        group.get("push/vapid-public-key", use: publicKey)
    }

    struct SubscribeBody: Decodable {
        struct Subscription: Decodable {
            struct Keys: Decodable {
                var p256dh: String
                var auth: String
            }
            var endpoint: String
            var keys: Keys
        }
        var subscription: Subscription
    }

    struct SubscribedResponse: Encodable {
        var id: String
        var created_at: Timestamp
    }

    @Sendable func subscribe(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let body = try await request.decodeJSON(SubscribeBody.self, context: context).subscription
        let saved = try await service.subscribePush(viewer: viewer, endpoint: body.endpoint, p256dh: body.keys.p256dh, auth: body.keys.auth)
        return .json(SubscribedResponse(id: saved.id.lowercasedString, created_at: saved.createdAt), status: .created)
    }

    struct UnsubscribeBody: Decodable {
        var endpoint: String
    }

    /// 204 whether or not the subscription existed: the browser's state is the same afterwards.
    @Sendable func unsubscribe(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let body = try await request.decodeJSON(UnsubscribeBody.self, context: context)
        _ = try await service.unsubscribePush(viewer: viewer, endpoint: body.endpoint)
        return Response(status: .noContent)
    }

    struct TestResponse: Encodable {
        var sent: Int
        var failed: Int
    }

    @Sendable func test(_ request: Request, context: RelayRequestContext) async throws -> Response {
        let viewer = try context.requireUser()
        let results = try await service.testPush(user: viewer, rateLimited: true)
        let sent = results.filter { $0.outcome.isDelivered }.count
        return .json(TestResponse(sent: sent, failed: results.count - sent))
    }

    struct PublicKeyResponse: Encodable {
        var public_key: String
    }

    @Sendable func publicKey(_ request: Request, context: RelayRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return .json(PublicKeyResponse(public_key: try service.vapidPublicKey()))
    }
}
