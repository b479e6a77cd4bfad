/// The limits the service enforces, with the design document's defaults.
public struct MessagingRules: Sendable, Equatable {
    /// Messages one (non-admin) sender may send per minute, hour and day; 0 means no limit. Each is a bucket of that
    /// many messages refilled evenly over its window (``RateLimitRepository``).
    public var perMinute: Int
    public var perHour: Int
    public var perDay: Int
    /// How long after sending a message its sender may still edit it, in seconds.
    public var editWindow: Int64
    /// Reactions one (non-admin) user may add or remove per minute, a bucket refilled evenly; 0 means no limit.
    public var reactionsPerMinute: Int
    /// Edits one (non-admin) user may make per minute and per day, buckets refilled evenly; 0 means no limit. Each edit
    /// keeps the text it replaces (a message's history is kept as long as the message).
    public var editsPerMinute: Int
    public var editsPerDay: Int

    public init(
        perMinute: Int = 10, perHour: Int = 100, perDay: Int = 500, editWindow: Int64 = 15 * 60, reactionsPerMinute: Int = 30,
        editsPerMinute: Int = 10, editsPerDay: Int = 200
    ) {
        self.perMinute = perMinute
        self.perHour = perHour
        self.perDay = perDay
        self.editWindow = editWindow
        self.reactionsPerMinute = reactionsPerMinute
        self.editsPerMinute = editsPerMinute
        self.editsPerDay = editsPerDay
    }

    /// Reads `MESSAGE_RATE_LIMIT_PER_MINUTE`, `MESSAGE_RATE_LIMIT_PER_HOUR` and `MESSAGE_RATE_LIMIT_PER_DAY`
    /// (defaults 10, 100, 500; 0 turns a window off), `REACTION_RATE_LIMIT_PER_MINUTE` (30; 0 for none) and
    /// `EDIT_RATE_LIMIT_PER_MINUTE` (10) and `EDIT_RATE_LIMIT_PER_DAY` (200; 0 for none).
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> MessagingRules {
        func read(_ key: String, _ fallback: Int) throws(ConfigurationError) -> Int {
            guard let text = environment[key] else { return fallback }
            guard let value = Int(text), value >= 0 else {
                throw ConfigurationError("\(key) must be a whole number of messages (0 for no limit), not \"\(text)\"")
            }
            return value
        }
        return MessagingRules(
            perMinute: try read("MESSAGE_RATE_LIMIT_PER_MINUTE", 10),
            perHour: try read("MESSAGE_RATE_LIMIT_PER_HOUR", 100),
            perDay: try read("MESSAGE_RATE_LIMIT_PER_DAY", 500),
            reactionsPerMinute: try read("REACTION_RATE_LIMIT_PER_MINUTE", 30),
            editsPerMinute: try read("EDIT_RATE_LIMIT_PER_MINUTE", 10),
            editsPerDay: try read("EDIT_RATE_LIMIT_PER_DAY", 200))
    }

    /// The windows in force: (seconds, limit, name).
    var windows: [(seconds: Int, limit: Int, name: String)] {
        [(60, perMinute, "minute"), (3600, perHour, "hour"), (86400, perDay, "day")].filter { $0.1 > 0 }
    }

    /// The edits' rate-limit windows, none when off (``editWindow`` is how long after sending a message may be edited).
    var editRateWindows: [RateLimitRepository.Window] {
        (editsPerMinute > 0 ? [.edits(perMinute: editsPerMinute)] : []) + (editsPerDay > 0 ? [.edits(perDay: editsPerDay)] : [])
    }

    /// The reactions' window, nil when off.
    var reactionWindow: RateLimitRepository.Window? {
        reactionsPerMinute > 0 ? .reactions(perMinute: reactionsPerMinute) : nil
    }
}
