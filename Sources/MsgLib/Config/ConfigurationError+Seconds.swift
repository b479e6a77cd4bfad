extension ConfigurationError {
    /// A duration setting: `text` (the value of `key`, nil when unset) as a positive number of seconds, fractions
    /// allowed, at most ten years.
    /// - Throws: a message naming `key` for anything else.
    package static func seconds(_ key: String, _ text: String?) throws(ConfigurationError) -> Duration? {
        guard let text else { return nil }
        guard let value = Double(text), value > 0, value <= 315_360_000 else {
            throw ConfigurationError("\(key) must be a positive number of seconds (at most 315360000, ten years), not \"\(text)\"")
        }
        return .milliseconds(Int64(value * 1000))
    }
}
