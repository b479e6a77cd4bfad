import Foundation

/// How msgrelay sends notifications: Web Push keys, the Slack webhook, and the outbox's retry policy.
public struct NotificationConfiguration: Sendable {
    /// Signs push requests (VAPID); nil when VAPID keys are not configured (push jobs then wait in the outbox).
    package var vapid: VAPIDSigner?
    /// The Slack incoming webhook; nil means no Slack notices are queued or sent.
    public var slackWebhookURL: String?
    /// Slack app mode (a thread per conversation through the Web API); nil when off. When both this and a webhook
    /// are configured, app mode wins: no webhook notices are queued.
    public var slackApp: SlackAppConfiguration?
    /// Where the admin pages live: Slack's "View Conversation" button opens `<base>/admin/messages/<id>`.
    public var adminURLBase: String?
    /// Which push endpoints may be reached (https and public addresses unless insecure endpoints are allowed).
    package var endpoints: EndpointPolicy
    /// How long a push service keeps an undelivered notification (the `TTL` header).
    public var pushTTL: Int
    /// The first retry waits about this long; each further one twice as long, up to ``maxRetryDelay``.
    public var retryBase: Duration
    /// The longest wait between two attempts.
    public var maxRetryDelay: Duration
    /// A notification not delivered this long after its message is given up, with the reason recorded.
    public var maxAge: Duration
    /// Jobs claimed and sent together by one worker.
    public var batchSize: Int
    /// How long a batch of sends waits for its endpoints' host names to resolve.
    public var resolveTimeout: Duration
    /// Push subscriptions one user may have; a new one beyond replaces their least recently used.
    public var maxSubscriptionsPerUser: Int
    /// `POST /api/push/subscribe` calls one user may make per hour (a burst of that many, then evenly); 0: no limit.
    public var subscribeRateLimitPerHour: Int
    /// `POST /api/push/test` calls one user may make per hour; 0: no limit.
    public var testRateLimitPerHour: Int
    /// Encrypts and decrypts the stored Slack installation's bot token (SLACK_TOKEN_KEY); nil when unset.
    package var slackTokenSealer: SecretSealer?
    /// The Slack app's OAuth install; nil when SLACK_CLIENT_ID is unset.
    public var slackOAuth: SlackOAuthConfiguration?
    /// Whether a reaction someone adds is pushed to the other side of the conversation (`NOTIFY_REACTIONS=1`).
    public var notifyReactions = false

    /// No Web Push, no Slack, the default retry policy.
    public init() { self.init(vapid: nil) }

    package init(
        vapid: VAPIDSigner? = nil, slackWebhookURL: String? = nil, slackApp: SlackAppConfiguration? = nil, adminURLBase: String? = nil,
        endpoints: EndpointPolicy = EndpointPolicy(allowInsecure: false), pushTTL: Int = 86_400, retryBase: Duration = .seconds(5),
        maxRetryDelay: Duration = .seconds(3600), maxAge: Duration = .seconds(86_400), batchSize: Int = 32,
        resolveTimeout: Duration = .seconds(5), maxSubscriptionsPerUser: Int = 10, subscribeRateLimitPerHour: Int = 60,
        testRateLimitPerHour: Int = 10
    ) {
        self.vapid = vapid
        self.slackWebhookURL = slackWebhookURL
        self.slackApp = slackApp
        self.adminURLBase = adminURLBase
        self.endpoints = endpoints
        self.pushTTL = pushTTL
        self.retryBase = retryBase
        self.maxRetryDelay = maxRetryDelay
        self.maxAge = maxAge
        self.batchSize = batchSize
        self.resolveTimeout = resolveTimeout
        self.maxSubscriptionsPerUser = maxSubscriptionsPerUser
        self.subscribeRateLimitPerHour = subscribeRateLimitPerHour
        self.testRateLimitPerHour = testRateLimitPerHour
    }

    /// The outbox job kinds this configuration can send.
    package var sendableKinds: [OutboxJob.Kind] {
        (vapid == nil ? [] : [.push]) + (slackWebhookURL == nil ? [] : [.slack])
            + (slackApp == nil && !slackAppFromInstallation ? [] : OutboxJob.Kind.slackApp)
    }

    /// Whether a user's message queues a webhook notice: a webhook is configured and app mode is off. (Whether it
    /// queues a Web API post is decided by the database's `slack_settings`, whatever the writer's configuration.)
    /// With the OAuth install configured, the installation takes the webhook's place.
    package var notifiesSlackWebhook: Bool { slackWebhookURL != nil && slackApp == nil && !slackAppFromInstallation }

    /// Reads `VAPID_PUBLIC_KEY`, `VAPID_PRIVATE_KEY`, `VAPID_SUBJECT` (all three or none), `SLACK_WEBHOOK_URL`,
    /// `ADMIN_URL_BASE` (required with Slack), `PUSH_ALLOW_INSECURE_ENDPOINTS`, `PUSH_TTL_SECONDS` (86400),
    /// `OUTBOX_RETRY_BASE_SECONDS` (5), `OUTBOX_MAX_RETRY_DELAY_SECONDS` (3600, also the cap on a `Retry-After`),
    /// `OUTBOX_MAX_AGE_SECONDS` (86400), `PUSH_MAX_SUBSCRIPTIONS_PER_USER` (10), `PUSH_SUBSCRIBE_RATE_LIMIT_PER_HOUR`
    /// (60) and `PUSH_TEST_RATE_LIMIT_PER_HOUR` (10; 0 turns a limit off), Slack app mode's keys
    /// (``SlackAppConfiguration/fromEnvironment(_:)``; ADMIN_URL_BASE is then required too), `SLACK_TOKEN_KEY` (see
    /// ``SecretSealer/fromEnvironment(_:)``) and the OAuth install's `SLACK_CLIENT_ID`... (see
    /// ``SlackOAuthConfiguration/fromEnvironment(_:)``), and `NOTIFY_REACTIONS` (`1`: reactions are pushed).
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> NotificationConfiguration {
        var configuration = NotificationConfiguration(endpoints: EndpointPolicy.fromEnvironment(environment))
        func value(_ key: String) -> String? {
            guard let text = environment[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        func seconds(_ key: String) throws(ConfigurationError) -> Duration? { try ConfigurationError.seconds(key, value(key)) }
        func count(_ key: String, minimum: Int, _ what: String) throws(ConfigurationError) -> Int? {
            guard let text = value(key) else { return nil }
            guard let number = Int(text), number >= minimum, number <= 1_000_000 else {
                throw ConfigurationError("\(key) must be a whole number of \(what) from \(minimum) to 1000000, not \"\(text)\"")
            }
            return number
        }
        let vapidKeys = [value("VAPID_PUBLIC_KEY"), value("VAPID_PRIVATE_KEY"), value("VAPID_SUBJECT")]
        switch vapidKeys.compactMap({ $0 }).count {
        case 0: break
        case 3:
            do {
                let keys = try VAPIDKeys(publicKey: vapidKeys[0]!, privateKey: vapidKeys[1]!)
                configuration.vapid = try VAPIDSigner(keys: keys, subject: vapidKeys[2]!)
            } catch {
                throw ConfigurationError(error.message)
            }
        default:
            throw ConfigurationError(
                "VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT go together: set all three (msgctl vapid generate) or none")
        }
        if let webhook = value("SLACK_WEBHOOK_URL") {
            guard let url = URL(string: webhook), url.scheme == "https" || url.scheme == "http", url.host != nil else {
                // Not quoted: a webhook URL is a secret (whoever has it posts to the channel).
                throw ConfigurationError("SLACK_WEBHOOK_URL must be an https URL such as https://hooks.slack.com/services/...")
            }
            guard let base = value("ADMIN_URL_BASE") else {
                throw ConfigurationError(
                    "ADMIN_URL_BASE must be set with SLACK_WEBHOOK_URL: Slack's button links to ADMIN_URL_BASE/admin/messages/<id>")
            }
            configuration.slackWebhookURL = webhook
            configuration.adminURLBase = base
        }
        if let app = try SlackAppConfiguration.fromEnvironment(environment) {
            guard value("ADMIN_URL_BASE") != nil else {
                throw ConfigurationError(
                    "ADMIN_URL_BASE must be set with SLACK_BOT_TOKEN: Slack's View button links to ADMIN_URL_BASE/admin/messages/<id>")
            }
            configuration.slackApp = app
        }
        if let base = value("ADMIN_URL_BASE") {
            // Slack takes a button's URL up to 3,000 characters; the base leaves room for the path and the id.
            guard base.utf8.count <= 2000, let url = URL(string: base), url.scheme == "https" || url.scheme == "http", url.host != nil else {
                throw ConfigurationError(
                    "ADMIN_URL_BASE must be an absolute http(s) URL of at most 2000 characters such as https://example.org, not \"\(base.prefix(200))\""
                )
            }
            configuration.adminURLBase = base.hasSuffix("/") ? String(base.dropLast()) : base
        }
        if let ttl = try seconds("PUSH_TTL_SECONDS") { configuration.pushTTL = Int(ttl.components.seconds) }
        if let base = try seconds("OUTBOX_RETRY_BASE_SECONDS") { configuration.retryBase = base }
        if let limit = try seconds("OUTBOX_MAX_RETRY_DELAY_SECONDS") { configuration.maxRetryDelay = limit }
        if let age = try seconds("OUTBOX_MAX_AGE_SECONDS") { configuration.maxAge = age }
        if let limit = try count("PUSH_MAX_SUBSCRIPTIONS_PER_USER", minimum: 1, "subscriptions") {
            configuration.maxSubscriptionsPerUser = limit
        }
        if let limit = try count("PUSH_SUBSCRIBE_RATE_LIMIT_PER_HOUR", minimum: 0, "calls (0 for no limit)") {
            configuration.subscribeRateLimitPerHour = limit
        }
        if let limit = try count("PUSH_TEST_RATE_LIMIT_PER_HOUR", minimum: 0, "calls (0 for no limit)") {
            configuration.testRateLimitPerHour = limit
        }
        configuration.slackTokenSealer = try SecretSealer.fromEnvironment(environment)
        configuration.slackOAuth = try SlackOAuthConfiguration.fromEnvironment(environment)
        configuration.notifyReactions = value("NOTIFY_REACTIONS") == "1"
        return configuration
    }
}
