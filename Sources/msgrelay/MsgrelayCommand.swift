import ArgumentParser
import Foundation
import Logging
import MsgLib
import RelayKit

@main
struct MsgrelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "msgrelay",
        abstract: "Serve the messaging REST API and WebSocket protocol over PostgreSQL.",
        discussion: """
            Environment: DATABASE_URL (libpq URI or key=value; PG* variables when unset), DATABASE_POOL_SIZE (8), \
            DATABASE_POOL_TIMEOUT_SECONDS (10), DATABASE_STATEMENT_TIMEOUT_SECONDS (30; 0 turns it off), \
            JWT_SECRET (required), MSGRELAY_HOST (127.0.0.1), MSGRELAY_PORT (8080), LOG_LEVEL (info), LOG_FORMAT (text; or json), \
            MSGRELAY_DEMO (0), \
            MESSAGE_RATE_LIMIT_PER_MINUTE/HOUR/DAY (10/100/500), REACTION_RATE_LIMIT_PER_MINUTE (30), EDIT_RATE_LIMIT_PER_MINUTE/DAY (10/200), HTTP_HEADER_TIMEOUT_SECONDS (10), HTTP_BODY_TIMEOUT_SECONDS (30), \
            HTTP_IDLE_TIMEOUT_SECONDS (60), ALLOWED_ORIGINS, WS_IDLE_TIMEOUT_SECONDS (60), \
            WS_TYPING_TIMEOUT_SECONDS (10), WS_SEND_QUEUE_FRAMES (256), WS_MAX_QUEUED_BYTES (4194304), \
            WS_WRITE_TIMEOUT_SECONDS (10), WS_MAX_SOCKETS_PER_USER (20), WS_FRAMES_PER_SECOND (20), WS_FRAME_BURST (40).

            Notifications: VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT (all three or none), SLACK_WEBHOOK_URL \
            with ADMIN_URL_BASE, PUSH_TTL_SECONDS (86400), PUSH_ALLOW_INSECURE_ENDPOINTS (tests only), \
            PUSH_MAX_SUBSCRIPTIONS_PER_USER (10), PUSH_SUBSCRIBE_RATE_LIMIT_PER_HOUR (60), PUSH_TEST_RATE_LIMIT_PER_HOUR (10), NOTIFY_REACTIONS (0), \
            OUTBOX_RETRY_BASE_SECONDS (5), OUTBOX_MAX_RETRY_DELAY_SECONDS (3600), OUTBOX_MAX_AGE_SECONDS (86400).

            Attachments: ATTACHMENT_STORE (local:/folder or s3://bucket[/prefix]; unset: off), ATTACHMENT_MAX_BYTES \
            (10485760), ATTACHMENT_TYPES, ATTACHMENT_UPLOAD_URL_SECONDS (900), ATTACHMENT_DOWNLOAD_URL_SECONDS (300), \
            ATTACHMENT_PENDING_SECONDS (86400), ATTACHMENT_COLLECT_INTERVAL_SECONDS (600), ATTACHMENT_MAX_PENDING_PER_USER \
            (20), ATTACHMENT_RATE_LIMIT_PER_HOUR (60), ATTACHMENT_SIGNING_KEY, ATTACHMENT_PUBLIC_URL.

            Stops gracefully on SIGTERM or SIGINT. Every variable, signal and exit status: msgrelay(8).
            """,
        version: "msgrelay \(MsgLibInfo.version)")

    @Option(help: "Address to listen on (default: MSGRELAY_HOST or 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on, 0 for any free port (default: MSGRELAY_PORT or 8080).")
    var port: Int?

    @Flag(help: "Apply pending database migrations before serving.")
    var migrate = false

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be a port number from 0 to 65535, not \(port)") }
    }

    /// Parses the command line (usage errors exit 2, as msgctl's do) and runs; errors end as one line on stderr.
    static func main() async {
        let command: MsgrelayCommand
        do {
            command = try parse()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
        do {
            try await command.run()
        } catch {
            exitWithError("msgrelay", error)
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration: RelayConfiguration
        do {
            configuration = try RelayConfiguration.fromEnvironment(environment, host: host, port: port)
        } catch {
            exitWithError("msgrelay", error)
        }
        configuration.logFormat.bootstrap()
        let logger = {
            var logger = Logger(label: "msgrelay")
            logger.logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return logger
        }()

        let pool = DatabasePool(configuration: configuration.database)
        do {
            if migrate {
                // Migrations may run longer than a request's statement timeout, or the connection string's: on a
                // connection of their own, without one from its first statement.
                var migrating = configuration.database
                migrating.poolSize = 1
                migrating.statementTimeout = nil
                migrating.overrides = Migrator.sessionOverrides
                let migrations = DatabasePool(configuration: migrating)
                do {
                    try await migrations.withConnection { db in _ = try Migrator().migrate(db) }
                    await migrations.shutdown()
                } catch {
                    await migrations.shutdown()
                    throw error
                }
            }
            let pending = try await pool.withConnection { db in try Migrator().pending(db).count }
            if pending > 0 {
                throw ConfigurationError(
                    "the database schema is not up to date (\(pending) migrations pending): run `msgctl db migrate` or start with --migrate")
            }
        } catch {
            exitWithError("msgrelay", error)
        }
        try await Relay(configuration: configuration, pool: pool, logger: logger).run { channel in
            if let address = channel.localAddress {
                logger.info("msgrelay listening", metadata: ["address": "\(address)"])
            }
        }
    }
}
