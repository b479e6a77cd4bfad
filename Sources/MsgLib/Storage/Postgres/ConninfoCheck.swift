/// Connection URIs that libpq reads, but not as meant, when a user name or password holds a character the URI syntax
/// uses (`@`, `/`, `?`) unencoded: part of the password then becomes the host, the port or a query parameter, and
/// libpq's error quotes it. Such URIs are refused before libpq sees them, with advice and without their text.
enum ConninfoCheck {
    /// Why `conninfo` (a `postgres://` or `postgresql://` URI) cannot be meant as written, or nil.
    static func ambiguity(_ conninfo: String) -> String? {
        guard let scheme = ["postgresql://", "postgres://"].first(where: conninfo.hasPrefix) else { return nil }
        let rest = conninfo.dropFirst(scheme.count)
        let head = rest.prefix { $0 != "?" }
        let ats = head.indices.filter { head[$0] == "@" }
        if ats.count > 1 {
            return "more than one '@' before the host (write '@' in a user name or password as %40)"
        }
        if let at = ats.first, head[..<at].contains("/") {
            return "a '/' before the '@' (write '/' in a user name or password as %2F)"
        }
        let query = rest.dropFirst(head.count + 1)
        if query.split(separator: "&").contains(where: { !$0.contains("=") }) {
            return "a query parameter without '=' (write '?' in a user name or password as %3F)"
        }
        return nil
    }
}
