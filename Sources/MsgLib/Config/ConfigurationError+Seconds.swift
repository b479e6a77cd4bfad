extension ConfigurationError {
    /// A duration setting: `text` (the value of `key`, nil when unset) as a number of seconds, fractions allowed, from
    /// a millisecond (durations are kept in milliseconds: less would be zero, a retry or a sweep without pause) to ten
    /// years.
    /// - Throws: a message naming `key` for anything else.
    package static func seconds(_ key: String, _ text: String?) throws(ConfigurationError) -> Duration? {
        guard let text else { return nil }
        guard let value = Double(text), value >= 0.001, value <= 315_360_000 else {
            throw ConfigurationError(
                "\(key) must be a number of seconds from 0.001 (a millisecond) to 315360000 (ten years), not \"\(text)\"")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }
}
