import Logging
import MsgLib

/// One log record as one line of JSON (`LOG_FORMAT=json`): `time` (RFC 3339, UTC), `level`, `message`, then the
/// request fields when present (`request_id`, `route`, `status`, `duration_ms`, `error_kind`), then the rest of the
/// metadata by key. Whatever the text holds (quotes, control characters, line breaks, text that was not valid UTF-8
/// and was repaired), the line is valid JSON with no raw line break.
package struct JSONLogLine: Sendable {
    /// Metadata keys written under another name: Hummingbird's request id.
    static let renamed = ["hb.request.id": "request_id"]
    /// The fields that come first, in this order, when present.
    static let leading = ["request_id", "route", "status", "duration_ms", "error_kind"]
    /// The fields every line has; metadata with these names is written as `metadata.<name>`.
    static let reserved: Set<String> = ["time", "level", "message"]

    package var time: Timestamp
    package var level: Logger.Level
    package var message: String
    package var metadata: Logger.Metadata

    package init(time: Timestamp, level: Logger.Level, message: String, metadata: Logger.Metadata) {
        self.time = time
        self.level = level
        self.message = message
        self.metadata = metadata
    }

    /// The JSON object, without the final newline.
    package var json: String {
        var fields: [String: Logger.MetadataValue] = [:]
        for (key, value) in metadata {
            let name = Self.renamed[key] ?? key
            fields[Self.reserved.contains(name) ? "metadata." + name : name] = value
        }
        var out = "{\"time\":"
        Self.appendString(time.rfc3339, to: &out)
        out += ",\"level\":"
        Self.appendString(level.rawValue, to: &out)
        out += ",\"message\":"
        Self.appendString(message, to: &out)
        let rest = fields.keys.filter { !Self.leading.contains($0) }.sorted()
        for key in Self.leading.filter({ fields[$0] != nil }) + rest {
            out += ","
            Self.appendString(key, to: &out)
            out += ":"
            Self.appendValue(fields[key]!, to: &out)
        }
        out += "}"
        return out
    }

    /// Appends a metadata value: numbers and booleans given as such stay numbers and booleans, the rest are strings.
    static func appendValue(_ value: Logger.MetadataValue, to out: inout String) {
        switch value {
        case .string(let text):
            appendString(text, to: &out)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as any BinaryInteger: out += "\(number)"
            case let number as Double where number.isFinite: out += "\(number)"
            case let number as Float where number.isFinite: out += "\(number)"
            case let flag as Bool: out += flag ? "true" : "false"
            default: appendString(convertible.description, to: &out)
            }
        case .array(let values):
            out += "["
            for (index, element) in values.enumerated() {
                if index > 0 { out += "," }
                appendValue(element, to: &out)
            }
            out += "]"
        case .dictionary(let dictionary):
            out += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                appendString(key, to: &out)
                out += ":"
                appendValue(dictionary[key]!, to: &out)
            }
            out += "}"
        }
    }

    /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped, and U+2028 and U+2029
    /// too (line separators to some readers). A Swift string is valid Unicode already: bytes that were not valid
    /// UTF-8 became U+FFFD when it was made.
    static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
