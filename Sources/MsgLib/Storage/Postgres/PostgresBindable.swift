import Foundation

/// A Swift value that can be sent as a query parameter, in PostgreSQL's text format.
///
/// Parameters travel apart from the SQL text (`$1`, `$2`...): nothing here is ever spliced into a statement.
package protocol PostgresBindable: Sendable {
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
}

extension String: PostgresBindable {
    package var postgresText: String { self }
}

extension Substring: PostgresBindable {
    package var postgresText: String { String(self) }
}

extension Int: PostgresBindable {
    package var postgresText: String { String(self) }
}

extension Int32: PostgresBindable {
    package var postgresText: String { String(self) }
}

extension Int64: PostgresBindable {
    package var postgresText: String { String(self) }
}

extension Bool: PostgresBindable {
    package var postgresText: String { self ? "t" : "f" }
}

extension Double: PostgresBindable {
    package var postgresText: String { "\(self)" }
}

extension UUID: PostgresBindable {
    package var postgresText: String { lowercasedString }
}

extension Timestamp: PostgresBindable {
    package var postgresText: String { rfc3339 }
}

extension Array: PostgresBindable where Element: PostgresBindable {
    /// An array literal (`{"a","b"}`); cast it in SQL, e.g. `$1::uuid[]`.
    package var postgresText: String {
        let items = map { element -> String in
            let text = element.postgresText
            var quoted = "\""
            for ch in text.unicodeScalars {
                if ch == "\"" || ch == "\\" { quoted.unicodeScalars.append("\\") }
                quoted.unicodeScalars.append(ch)
            }
            return quoted + "\""
        }
        return "{" + items.joined(separator: ",") + "}"
    }
}
