import Logging
import MsgLib

/// How msgrelay writes its log (`LOG_FORMAT`): `text`, swift-log's human-readable lines (the default, ``TextLogHandler``), or `json`, one
/// JSON object per line (``JSONLogHandler``).
package enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json

    /// The format `LOG_FORMAT` names; unset or empty is `text`.
    /// - Throws: ``ConfigurationError`` for any other value.
    package init(environment value: String?) throws(ConfigurationError) {
        guard let value, !value.isEmpty else {
            self = .text
            return
        }
        guard let format = LogFormat(rawValue: value) else {
            throw ConfigurationError("LOG_FORMAT must be text or json, not \"\(value)\"")
        }
        self = format
    }
}

extension LogFormat {
    /// Makes every logger of the process write in this format, to standard error. Call once, before any logger is made.
    package func bootstrap() {
        switch self {
        case .text: LoggingSystem.bootstrap { label in TextLogHandler(label: label) }
        case .json: LoggingSystem.bootstrap { _ in JSONLogHandler() }
        }
    }
}
