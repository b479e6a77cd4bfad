import MsgLib

/// Everything msgrelay needs to run, with documented defaults.
package struct RelayConfiguration: Sendable {
    /// Address to listen on (default 127.0.0.1).
    package var host: String
    /// Port to listen on (default 8080; 0 picks a free one).
    package var port: Int
    /// The HS256 secret that signs bearer tokens. Required.
    package var jwtSecret: String
    /// How to reach PostgreSQL.
    package var database: DatabaseConfiguration
    /// Rate limits and the edit window.
    package var rules: MessagingRules
    /// The WebSocket side: timeouts, queue size, allowed origins.
    package var realtime: RealtimeConfiguration
    /// How long an HTTP client may keep the relay waiting.
    package var http: HTTPTimeouts
    /// How many REST requests a user (not an admin) may have under way at once (``UserRequestGate``).
    package var requestsPerUser = UserRequestGate.defaultLimit
    /// Web Push, Slack and the outbox's retries.
    package var notifications: NotificationConfiguration
    /// Where attachments are stored and what is accepted (off unless `ATTACHMENT_STORE` is set).
    package var attachments: AttachmentConfiguration = AttachmentConfiguration()
    /// Serves the demo chat page at `/client/demo/` (`MSGRELAY_DEMO=1`; off by default).
    package var demo = false
    /// How the log is written (`LOG_FORMAT`: `text`, the default, or `json`).
    package var logFormat = LogFormat.text

    package init(
        host: String = "127.0.0.1", port: Int = 8080, jwtSecret: String, database: DatabaseConfiguration, rules: MessagingRules = .init(),
        realtime: RealtimeConfiguration = .init(), http: HTTPTimeouts = .init(), notifications: NotificationConfiguration = .init()
    ) {
        self.host = host
        self.port = port
        self.jwtSecret = jwtSecret
        self.database = database
        self.rules = rules
        self.realtime = realtime
        self.http = http
        self.notifications = notifications
    }
}
