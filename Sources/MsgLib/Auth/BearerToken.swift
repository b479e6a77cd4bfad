/// The `Authorization: Bearer <token>` scheme (RFC 6750), shared by REST and WebSocket upgrades.
package enum BearerToken {
    /// The token of an `Authorization` header value (scheme case-insensitive), if it is a bearer token.
    package static func parse(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingOptionalWhiteSpace
        return token.isEmpty ? nil : String(token)
    }
}
