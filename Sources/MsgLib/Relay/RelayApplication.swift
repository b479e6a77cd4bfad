import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the msgrelay router: every route of the REST API with its middleware.
public func buildRelayRouter(service: MessagingService, metrics: RelayMetrics) -> Router<RelayRequestContext> {
    let router = Router(context: RelayRequestContext.self)
    router.add(middleware: ObservabilityMiddleware(metrics: metrics))
    router.add(middleware: ErrorMiddleware())
    HealthController(pool: service.pool).addRoutes(to: router)
    OperationsController(metrics: metrics).addRoutes(to: router)
    let api = router.group("api").add(middleware: AuthenticationMiddleware(service: service))
    ConversationController(service: service).addRoutes(to: api)
    MessageController(service: service).addRoutes(to: api)
    return router
}

/// Builds the msgrelay HTTP application: routes, middleware, and the services it owns.
///
/// - Parameters:
///   - configuration: where to listen, secrets and limits.
///   - pool: the database pool; the application shuts it down after the server stops.
///   - onServerRunning: called once the server listens (tests read the bound port here).
public func buildRelayApplication(
    configuration: RelayConfiguration,
    pool: DatabasePool,
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let service = MessagingService(pool: pool, rules: configuration.rules, jwtSecret: configuration.jwtSecret)
    let router = buildRelayRouter(service: service, metrics: RelayMetrics(pool: pool))
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "msgrelay"),
        services: [DatabasePoolService(pool: pool)],
        onServerRunning: onServerRunning,
        logger: logger)
}

/// Closes the database pool when the service group shuts down (after the HTTP server has stopped).
struct DatabasePoolService: Service {
    let pool: DatabasePool

    func run() async throws {
        try? await gracefulShutdown()
        await pool.shutdown()
    }
}
