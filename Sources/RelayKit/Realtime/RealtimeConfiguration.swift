import Foundation
import MsgLib

/// Settings of the WebSocket side of msgrelay, with their defaults.
package struct RealtimeConfiguration: Sendable {
    /// A socket that sends no frame for this long is closed (the design's 60 s; clients ping every 30 s).
    package var idleTimeout: Duration
    /// A typing indicator not turned off by its sender is turned off by the server after this long.
    package var typingTimeout: Duration
    /// Frames waiting to be written to one socket before its client counts as not reading and is disconnected.
    package var sendQueueCapacity: Int
    /// The largest frame a client may send.
    package var maxFrameSize: Int
    /// Origins allowed to open a socket; nil means requests without `Origin`, or with one naming this host.
    package var allowedOrigins: Set<String>?
    /// Most messages replayed on connect (unread) or on resume; the client pages through REST for more.
    package var replayLimit: Int
    /// Sockets one user may have open on this relay; the next is refused (4429).
    package var maxSocketsPerUser: Int = 20
    /// Frames other than pings one socket may send per second on average, and in a burst (token bucket).
    package var frameRate: Double = 20
    package var frameBurst: Double = 40
    /// Bytes queued for one socket (replay included) before its client counts as not reading and is disconnected.
    package var maxQueuedBytes: Int = 4 * 1024 * 1024
    /// A socket whose queued frames could not be written for this long is disconnected as not reading.
    package var writeTimeout: Duration = .seconds(10)

    package init(
        idleTimeout: Duration = .seconds(60), typingTimeout: Duration = .seconds(10), sendQueueCapacity: Int = 256,
        maxFrameSize: Int = 128 * 1024, allowedOrigins: Set<String>? = nil, replayLimit: Int = 1000
    ) {
        self.idleTimeout = idleTimeout
        self.typingTimeout = typingTimeout
        self.sendQueueCapacity = sendQueueCapacity
        self.maxFrameSize = maxFrameSize
        self.allowedOrigins = allowedOrigins
        self.replayLimit = replayLimit
    }

    /// Reads `ALLOWED_ORIGINS` (comma list), `WS_IDLE_TIMEOUT_SECONDS` (60), `WS_TYPING_TIMEOUT_SECONDS` (10),
    /// `WS_SEND_QUEUE_FRAMES` (256), `WS_MAX_SOCKETS_PER_USER` (20), `WS_FRAMES_PER_SECOND` (20), `WS_FRAME_BURST` (40),
    /// `WS_MAX_QUEUED_BYTES` (4194304) and `WS_WRITE_TIMEOUT_SECONDS` (10).
    package static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> RealtimeConfiguration {
        var configuration = RealtimeConfiguration()
        func seconds(_ key: String) throws(ConfigurationError) -> Duration? { try ConfigurationError.seconds(key, environment[key]) }
        if let value = try seconds("WS_IDLE_TIMEOUT_SECONDS") { configuration.idleTimeout = value }
        if let value = try seconds("WS_TYPING_TIMEOUT_SECONDS") { configuration.typingTimeout = value }
        func positive(_ key: String) throws(ConfigurationError) -> Int? {
            guard let text = environment[key] else { return nil }
            guard let value = Int(text), value > 0 else { throw ConfigurationError("\(key) must be a positive whole number, not \"\(text)\"") }
            return value
        }
        if let value = try positive("WS_SEND_QUEUE_FRAMES") { configuration.sendQueueCapacity = value }
        if let value = try positive("WS_MAX_SOCKETS_PER_USER") { configuration.maxSocketsPerUser = value }
        if let value = try positive("WS_FRAMES_PER_SECOND") { configuration.frameRate = Double(value) }
        if let value = try positive("WS_FRAME_BURST") { configuration.frameBurst = Double(value) }
        if let value = try positive("WS_MAX_QUEUED_BYTES") { configuration.maxQueuedBytes = value }
        if let value = try seconds("WS_WRITE_TIMEOUT_SECONDS") { configuration.writeTimeout = value }
        // A list of none (an uncommented `ALLOWED_ORIGINS=` line) is unset, as for the other settings: same-host pages.
        if let text = environment["ALLOWED_ORIGINS"] {
            let origins = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if !origins.isEmpty { configuration.allowedOrigins = Set(origins.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }) }
        }
        return configuration
    }
}
