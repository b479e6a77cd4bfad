import Hummingbird
import Logging
import MsgLib
import NIOCore
import ServiceLifecycle

/// msgrelay as a whole: the HTTP and WebSocket server, the database pool, the NOTIFY listener, and the hub of
/// sockets, run as one service group that stops gracefully on SIGTERM/SIGINT.
///
/// Shutdown order: sockets are closed first (each flushes its queue, then sends close code 1001 so clients
/// reconnect elsewhere), then the server stops accepting and finishes in-flight requests, then the listener
/// and the pool close.
package struct Relay: Sendable {
    package let configuration: RelayConfiguration
    package let pool: DatabasePool
    package let hub = Hub()
    let logger: Logger

    package init(configuration: RelayConfiguration, pool: DatabasePool, logger: Logger) {
        self.configuration = configuration
        self.pool = pool
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT. `onServerRunning` is called once the server listens.
    package func run(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) async throws {
        let hub = self.hub
        let wakeups = CommitFeed.Wakeups()
        // Following commits and announcing them use connections of their own, so that requests waiting for the pool
        // never hold up delivery, nor delivery requests.
        var deliveryDatabase = configuration.database
        deliveryDatabase.poolSize = 2
        deliveryDatabase.applicationName = "msgrelay-delivery"
        let deliveryPool = DatabasePool(configuration: deliveryDatabase)
        let announcer = CommitAnnouncer(pool: deliveryPool, logger: logger)
        let feed = CommitFeed(service: MessagingService(pool: deliveryPool), hub: hub, wakeups: wakeups, logger: logger)
        let notifier = Notifier(configuration: configuration.notifications)
        let outbox = OutboxWorker(conninfo: configuration.database.conninfo, notifier: notifier, logger: logger)
        let writer = DatabasePool(configuration: configuration.database.writer)
        let service = MessagingService(
            pool: pool, rules: configuration.rules, jwtSecret: configuration.jwtSecret, notifications: configuration.notifications,
            notifier: notifier, writer: writer,
            localDelivery: { items, db in
                // The committing connection delivers them at once (or has the running sweep go round again).
                feed.deliverCommitted(items, on: db)
                if let last = items.last { announcer.announce(last) }
                outbox.wake()
            })
        let router = buildRelayRouter(service: service, metrics: RelayMetrics(pool: pool, hub: hub))
        // Messages committed elsewhere (another relay, msgctl) may have notifications to send.
        let listener = EventListener(
            conninfo: configuration.database.conninfo, service: service, hub: hub, feed: feed, origin: announcer.origin, logger: logger,
            onMessage: { outbox.wake() })
        let app = Application(
            router: router,
            server: .relay(service: service, hub: hub, feed: feed, configuration: configuration.realtime),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "msgrelay"),
            services: [
                DatabasePoolService(pool: pool), DatabasePoolService(pool: writer), DatabasePoolService(pool: deliveryPool), feed, announcer,
                listener, outbox,
                IdleSweeper(hub: hub, timeout: configuration.realtime.idleTimeout),
            ],
            onServerRunning: onServerRunning,
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [app, SocketShutdownService(hub: hub)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
