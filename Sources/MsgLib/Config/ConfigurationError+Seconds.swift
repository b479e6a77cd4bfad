extension ConfigurationError {
    /// A duration setting: `text` (the value of `key`, nil when unset) as a positive number of seconds, fractions
    /// allowed.
    /// - Throws: a message naming `key` for anything else.
    package static func seconds(_ key: String, _ text: String?) throws(ConfigurationError) -> Duration? {
        guard let text else { return nil }
        guard let value = Double(text), value > 0 else { throw ConfigurationError("\(key) must be a positive number of seconds, not \"\(text)\"") }
        return .milliseconds(Int64(value * 1000))
    }
}
