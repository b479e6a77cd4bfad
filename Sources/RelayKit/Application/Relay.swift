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
        // Every socket is an open file: the relay takes what the system lets it (LimitNOFILE in the systemd unit).
        let files = OpenFileLimit.raise()
        // The pool, and the relay's other connections: the writer, the listener, the outbox's two workers, the delivery
        // pool's two.
        let room = OpenFileLimit.socketRoom(files.after, poolConnections: configuration.database.poolSize + 6)
        let fileMetadata: Logger.Metadata = ["open_files": "\(files.after)", "raised_from": "\(files.before)", "sockets": "\(room)"]
        if files.after < 10_000 {
            logger.warning("the open-file limit leaves room for few sockets: raise LimitNOFILE (docs/deploy.md)", metadata: fileMetadata)
        } else {
            logger.info("open-file limit", metadata: fileMetadata)
        }
        // Every writer of the database (msgctl too, whatever its environment) queues Slack app posts while this is on.
        // App mode comes from SLACK_BOT_TOKEN..., else from the stored OAuth installation (which a new install updates).
        // A database that takes no writes now (a standby about to be promoted) does not stop the relay: the outbox
        // worker records the setting when it connects.
        let notifications = configuration.notifications
        do {
            let recorded = try await pool.withConnection { db in try notifications.recordAppMode(db) }
            if !recorded {
                logger.warning(
                    "the stored Slack installation does not open with this relay's SLACK_TOKEN_KEY: the relays that can open it send its notifications"
                )
            }
        } catch {
            logger.warning("Slack app mode could not be recorded in the database yet", metadata: ["error": "\(error)"])
        }
        if configuration.notifications.slackApp != nil, configuration.notifications.slackWebhookURL != nil {
            logger.warning("both SLACK_BOT_TOKEN and SLACK_WEBHOOK_URL are set: Slack app mode is used, the webhook is ignored")
        }
        if notifications.slackAppFromInstallation, notifications.slackWebhookURL != nil {
            logger.warning("both SLACK_CLIENT_ID and SLACK_WEBHOOK_URL are set: the OAuth installation is used, the webhook is ignored")
        }
        let wakeups = CommitFeed.Wakeups()
        // Following commits and announcing them use connections of their own, so that requests waiting for the pool
        // never hold up delivery, nor delivery requests.
        var deliveryDatabase = configuration.database
        deliveryDatabase.poolSize = 2
        deliveryDatabase.applicationName = "msgrelay-delivery"
        // A sweep's plan is made for its bounds and the table's size now: a plan cached while the table was small
        // would scan all of it until the next ANALYZE.
        deliveryDatabase.settings["plan_cache_mode"] = "force_custom_plan"
        let deliveryPool = DatabasePool(configuration: deliveryDatabase)
        let metrics = RelayMetrics(pool: pool, hub: hub)
        let feed = CommitFeed(
            service: MessagingService(pool: deliveryPool), hub: hub, wakeups: wakeups, logger: logger, onSnapshot: { metrics.recordSnapshotRead() },
            onOtherWriters: { metrics.messages.fromOtherWriters($0) })
        let announcer = CommitAnnouncer(pool: deliveryPool, logger: logger, announced: { feed.committedWithoutMessages($0) })
        let notifier = Notifier(configuration: configuration.notifications)
        // New notifications and retries in lanes of their own: a push service slow to answer, retried, holds up only
        // other retries; the first attempts' round waits at most a few seconds for any push service.
        let outbox = OutboxWorker(
            conninfo: configuration.database.conninfo, notifier: notifier, logger: logger, lane: .firstAttempts, metrics: metrics.notifications)
        let retries = OutboxWorker(
            conninfo: configuration.database.conninfo, notifier: notifier, logger: logger, lane: .retries, metrics: metrics.notifications)
        OutboxWorker.pair(outbox, retries)
        let writer = DatabasePool(configuration: configuration.database.writer)
        var service = MessagingService(
            pool: pool, rules: configuration.rules, jwtSecret: configuration.jwtSecret, notifications: configuration.notifications,
            notifier: notifier, writer: writer,
            localDelivery: { items in
                // Delivered at once on the writer's thread (or by the running delivery, or the feed's next sweep), while
                // the next batch is being written.
                feed.deliverCommitted(items)
                if let last = items.last { announcer.announce(last) }
                outbox.wake()
            })
        // Events from Slack wait in a durable inbox; this handles them (only in Slack app mode).
        let slackInbox = configuration.notifications.slackSigningSecret.map { _ in
            SlackInboxWorker(service: service, logger: logger, metrics: metrics.messages)
        }
        service.attachments = try AttachmentSupport.open(configuration.attachments)
        let router = buildRelayRouter(
            service: service, metrics: metrics, slackInbox: slackInbox, allowedOrigins: configuration.realtime.allowedOrigins,
            demo: configuration.demo, requestsPerUser: configuration.requestsPerUser, isStopping: { hub.isClosing })
        // Messages committed elsewhere (another relay, msgctl) may have notifications to send.
        let listener = EventListener(
            conninfo: configuration.database.conninfo, service: service, hub: hub, feed: feed, origin: announcer.origin, logger: logger,
            onMessage: { outbox.wake() }, onCounting: { metrics.messages.counting($0) })
        let app = Application(
            router: router,
            server: .relay(
                service: service, hub: hub, feed: feed, configuration: configuration.realtime, timeouts: configuration.http, metrics: metrics),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "msgrelay"),
            services: [
                DatabasePoolService(pool: pool), DatabasePoolService(pool: writer), DatabasePoolService(pool: deliveryPool), feed, announcer,
                listener, outbox, retries,
                IdleSweeper(hub: hub, timeout: configuration.realtime.idleTimeout, writeTimeout: configuration.realtime.writeTimeout),
                AttachmentCollector(service: service, interval: configuration.attachments.collectInterval, logger: logger),
            ] + (slackInbox.map { [$0] } ?? []),
            onServerRunning: onServerRunning,
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [app, SocketShutdownService(hub: hub)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
