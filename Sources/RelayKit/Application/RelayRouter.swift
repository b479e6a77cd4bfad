import Hummingbird
import MsgLib

/// Builds the msgrelay router: every route of the REST API, with their middleware. (WebSocket upgrades are
/// served before the router, by ``RelayChildChannel``.)
package func buildRelayRouter(service: MessagingService, metrics: RelayMetrics) -> Router<RelayRequestContext> {
    let router = Router(context: RelayRequestContext.self)
    router.add(middleware: ObservabilityMiddleware(metrics: metrics))
    router.add(middleware: ErrorMiddleware())
    HealthController(service: service).addRoutes(to: router)
    OperationsController(metrics: metrics).addRoutes(to: router)
    WebSocketController().addRoutes(to: router)
    if let local = service.attachments?.local { LocalStoreController(store: local).addRoutes(to: router) }
    let api = router.group("api").add(middleware: AuthenticationMiddleware(service: service))
    ConversationController(service: service).addRoutes(to: api)
    MessageController(service: service).addRoutes(to: api)
    PushController(service: service).addRoutes(to: api)
    AttachmentController(service: service).addRoutes(to: api)
    return router
}
