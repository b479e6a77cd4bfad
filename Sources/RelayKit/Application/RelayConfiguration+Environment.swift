import MsgLib

extension RelayConfiguration {
    /// Reads the configuration from the environment; `host` and `port` given here (from flags) win.
    ///
    /// - `MSGRELAY_HOST` (default 127.0.0.1), `MSGRELAY_PORT` (default 8080)
    /// - `JWT_SECRET`: required, not empty
    /// - `MESSAGE_RATE_LIMIT_PER_MINUTE` / `_PER_HOUR` / `_PER_DAY`: see ``MessagingRules/fromEnvironment(_:)``
    /// - `ALLOWED_ORIGINS`, `WS_*`: see ``RealtimeConfiguration/fromEnvironment(_:)``
    /// - `HTTP_HEADER_TIMEOUT_SECONDS`, `HTTP_BODY_TIMEOUT_SECONDS`, `HTTP_IDLE_TIMEOUT_SECONDS`: see
    ///   ``HTTPTimeouts/fromEnvironment(_:)``
    /// - `HTTP_MAX_REQUESTS_PER_USER` (16): REST requests a user may have under way at once
    /// - `VAPID_*`, `SLACK_WEBHOOK_URL`, `ADMIN_URL_BASE`, `PUSH_*`, `OUTBOX_*`: see
    ///   ``NotificationConfiguration/fromEnvironment(_:)``
    /// - `ATTACHMENT_*`: see ``AttachmentConfiguration/fromEnvironment(_:jwtSecret:)``
    /// - `MSGRELAY_DEMO`: `1` serves the demo chat page at `/client/demo/`
    /// - `LOG_FORMAT`: `text` (default) or `json`, see ``LogFormat``
    /// - `DATABASE_URL`, `DATABASE_POOL_SIZE`: see ``DatabaseConfiguration/fromEnvironment(_:applicationName:)``
    ///
    /// A variable whose value is empty or blanks only counts as unset (an env file's `NAME=` line), for every setting.
    package static func fromEnvironment(_ environment: [String: String], host: String? = nil, port: Int? = nil) throws(ConfigurationError)
        -> RelayConfiguration
    {
        let environment = environment.filter { !$0.value.allSatisfy(\.isWhitespace) }
        guard let secret = environment["JWT_SECRET"], !secret.isEmpty else {
            throw ConfigurationError(
                "JWT_SECRET is not set: msgrelay needs the secret that signs your site's tokens (export JWT_SECRET=...)")
        }
        var resolvedPort = 8080
        if let port {
            resolvedPort = port
        } else if let text = environment["MSGRELAY_PORT"] {
            guard let value = Int(text) else { throw ConfigurationError("MSGRELAY_PORT must be a port number, not \"\(text)\"") }
            resolvedPort = value
        }
        guard (0...65535).contains(resolvedPort) else {
            throw ConfigurationError("\(port == nil ? "MSGRELAY_PORT" : "--port") must be a port number from 0 to 65535, not \(resolvedPort)")
        }
        var configuration = RelayConfiguration(
            host: host ?? environment["MSGRELAY_HOST"] ?? "127.0.0.1",
            port: resolvedPort,
            jwtSecret: secret,
            database: try .fromEnvironment(environment, applicationName: "msgrelay"),
            rules: try .fromEnvironment(environment),
            realtime: try .fromEnvironment(environment),
            http: try .fromEnvironment(environment),
            notifications: try .fromEnvironment(environment))
        configuration.attachments = try .fromEnvironment(environment, jwtSecret: secret)
        configuration.logFormat = try LogFormat(environment: environment["LOG_FORMAT"])
        if let text = environment["HTTP_MAX_REQUESTS_PER_USER"] {
            guard let value = Int(text), value > 0 else {
                throw ConfigurationError("HTTP_MAX_REQUESTS_PER_USER must be a positive whole number, not \"\(text)\"")
            }
            configuration.requestsPerUser = value
        }
        switch environment["MSGRELAY_DEMO"] {
        case nil, "", "0": configuration.demo = false
        case "1": configuration.demo = true
        case let text?: throw ConfigurationError("MSGRELAY_DEMO must be 1 or 0, not \"\(text)\"")
        }
        return configuration
    }
}
