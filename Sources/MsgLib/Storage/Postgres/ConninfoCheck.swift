/// Connection URIs that libpq reads, but not as meant, when a user name or password holds a character the URI syntax
/// uses (`@`, `/`, `?`) unencoded: part of the password then becomes the host, the port or a query parameter, and
/// libpq's error quotes it. Such URIs are refused before libpq sees them, with advice and without their text.
enum ConninfoCheck {
    /// Why `conninfo` (a `postgres://` or `postgresql://` URI) cannot be meant as written, or nil.
    static func ambiguity(_ conninfo: String) -> String? {
        guard let scheme = ["postgresql://", "postgres://"].first(where: conninfo.hasPrefix) else { return nil }
        let rest = conninfo.dropFirst(scheme.count)
        let head = rest.prefix { $0 != "?" }
        // As libpq reads it: user and password end at the first '@' before any '/', the host at the next '/'.
        if let stop = head.firstIndex(where: { $0 == "@" || $0 == "/" }) {
            if head[stop] == "@" {
                if head[head.index(after: stop)...].prefix(while: { $0 != "/" }).contains("@") {
                    return "more than one '@' before the host (write '@' in a user name or password as %40)"
                }
            } else if head[stop...].contains("@") {
                return "an '@' after a '/' (write '/' in a user name or password as %2F, '@' in a database name as %40)"
            }
        }
        let query = rest.dropFirst(head.count + 1)
        if query.split(separator: "&").contains(where: { !$0.contains("=") }) {
            return "a query parameter without '=' (write '?' in a user name or password as %3F)"
        }
        return nil
    }
}
