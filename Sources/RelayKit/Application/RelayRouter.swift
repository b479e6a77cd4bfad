import Hummingbird
import MsgLib

/// Builds the msgrelay router: every route of the REST API, with their middleware. (WebSocket upgrades are
/// served before the router, by ``RelayChildChannel``.) `slackInbox` is woken when an event from Slack is stored.
/// `allowedOrigins` (ALLOWED_ORIGINS) may call the API from their pages (CORS); `demo` serves the demo chat page;
/// `requestsPerUser` (HTTP_MAX_REQUESTS_PER_USER) is how many requests a user may have under way at once.
package func buildRelayRouter(
    service: MessagingService, metrics: RelayMetrics, slackInbox: SlackInboxWorker? = nil, allowedOrigins: Set<String>? = nil, demo: Bool = false,
    requestsPerUser: Int = UserRequestGate.defaultLimit, isStopping: @escaping @Sendable () -> Bool = { false }
) -> Router<RelayRequestContext> {
    // HEAD is answered for every GET route (as HTTP asks of every server): the GET's status and headers, no body.
    let router = Router(context: RelayRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: ObservabilityMiddleware(metrics: metrics))
    if let allowedOrigins { router.add(middleware: CORSMiddleware(policy: CORSPolicy(allowedOrigins: allowedOrigins))) }
    router.add(middleware: ErrorMiddleware())
    let gate = UserRequestGate(limit: requestsPerUser)
    router.add(middleware: AuthenticationMiddleware(service: service, gate: gate))
    ClientFilesController(demo: demo).addRoutes(to: router)
    HealthController(service: service, isStopping: isStopping).addRoutes(to: router)
    OperationsController(metrics: metrics).addRoutes(to: router)
    WebSocketController().addRoutes(to: router)
    // Slack signs its requests instead of sending a bearer token.
    SlackController(service: service, inbox: slackInbox, metrics: metrics.messages).addRoutes(to: router)
    SlackOAuthController(service: service, installer: SlackInstaller(notifications: service.notifications, pool: service.pool))
        .addRoutes(to: router)
    if let local = service.attachments?.local { LocalStoreController(store: local, gate: gate).addRoutes(to: router) }
    let api = router.group("api")
    ConversationController(service: service, metrics: metrics.messages).addRoutes(to: api)
    MessageController(service: service, metrics: metrics.messages).addRoutes(to: api)
    MessageHistoryController(service: service).addRoutes(to: api)
    ReactionController(service: service).addRoutes(to: api)
    PushController(service: service).addRoutes(to: api)
    AttachmentController(service: service).addRoutes(to: api)
    return router
}
