import MsgLib

/// How long an HTTP connection may keep the relay waiting on its client, so that slow or silent clients
/// (slowloris) cannot hold connections open.
package struct HTTPTimeouts: Sendable, Equatable {
    /// A request's head must be complete this long after the connection opened or, on a kept-alive connection,
    /// after the request's first byte (also for WebSocket upgrade requests).
    package var header: Duration
    /// The most time a request's body may keep the relay waiting for bytes, all pauses together (time the relay
    /// itself holds off reading does not count).
    package var body: Duration
    /// A kept-alive connection with no request under way is closed after this long; so is one whose client
    /// reads nothing of an answer for this long.
    package var idle: Duration

    package init(header: Duration = .seconds(10), body: Duration = .seconds(30), idle: Duration = .seconds(60)) {
        self.header = header
        self.body = body
        self.idle = idle
    }

    /// Reads `HTTP_HEADER_TIMEOUT_SECONDS` (10), `HTTP_BODY_TIMEOUT_SECONDS` (30) and `HTTP_IDLE_TIMEOUT_SECONDS` (60).
    package static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> HTTPTimeouts {
        var timeouts = HTTPTimeouts()
        func seconds(_ key: String) throws(ConfigurationError) -> Duration? { try ConfigurationError.seconds(key, environment[key]) }
        if let value = try seconds("HTTP_HEADER_TIMEOUT_SECONDS") { timeouts.header = value }
        if let value = try seconds("HTTP_BODY_TIMEOUT_SECONDS") { timeouts.body = value }
        if let value = try seconds("HTTP_IDLE_TIMEOUT_SECONDS") { timeouts.idle = value }
        return timeouts
    }
}
