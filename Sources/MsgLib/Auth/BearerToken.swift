/// The `Authorization: Bearer <token>` scheme (RFC 6750), shared by REST and WebSocket upgrades.
package enum BearerToken {
    /// The token of an `Authorization` header value (scheme case-insensitive), if it is a bearer token.
    package static func parse(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        // Optional white space around the token (spaces, tabs), trimmed without going through Foundation: this runs on
        // every request.
        let isSpace = { (c: Character) in c == " " || c == "\t" }
        var token = parts[1].drop(while: isSpace)
        while let last = token.last, isSpace(last) { token = token.dropLast() }
        return token.isEmpty ? nil : String(token)
    }
}
