import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the msgrelay HTTP application: routes, middleware, and the services it owns.
///
/// - Parameters:
///   - configuration: where to listen and what secrets to use.
///   - pool: the database pool; the application shuts it down after the server stops.
///   - onServerRunning: called once the server listens (tests read the bound port here).
public func buildRelayApplication(
    configuration: RelayConfiguration,
    pool: DatabasePool,
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    HealthController(pool: pool).addRoutes(to: router)
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
