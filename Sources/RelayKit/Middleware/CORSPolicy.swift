import HTTPTypes

/// Cross-origin requests to the REST API and the local attachment store's URLs (CORS), without I/O: which answer a
/// request with an `Origin` gets. A page on another origin than the relay's uploads and downloads files there.
///
/// Only the origins of `ALLOWED_ORIGINS` (the list the WebSocket `Origin` check uses) are answered with CORS headers,
/// each with its own origin, never `*`; credentials (cookies) are never allowed: the API takes a bearer token in
/// `Authorization`, which a page sends itself. Every answer varies by `Origin`.
struct CORSPolicy: Sendable {
    let allowedOrigins: Set<String>

    static let methods = "GET, POST, PUT, PATCH, DELETE"
    static let requestHeaders = "Authorization, Content-Type, Idempotency-Key"
    /// Headers a page may read beside the simple ones.
    static let exposedHeaders = "Retry-After, Idempotent-Replayed, Content-Disposition, ETag"
    /// How long a browser may keep a preflight's answer, in seconds.
    static let maxAge = 600

    enum Decision: Equatable {
        /// Not a cross-origin request of the API: answered as usual.
        case none
        /// A preflight from an allowed origin: 204 with these headers.
        case preflight(HTTPFields)
        /// A preflight from another origin: refused (403), with no CORS headers.
        case refusedPreflight
        /// A request from an allowed origin: answered as usual, with these headers added.
        case allowed(HTTPFields)
        /// A request from another origin: answered as usual, without CORS headers (the browser keeps the answer from the page).
        case notAllowed
    }

    /// What to do with a request to `path` with `method` and these headers.
    func decide(path: String, method: HTTPRequest.Method, headers: HTTPFields) -> Decision {
        guard path == "/api" || path.hasPrefix("/api/") || path.hasPrefix("/attachments/local/"), let origin = headers[.origin] else {
            return .none
        }
        let allowed = allowedOrigins.contains(origin)
        if method == .options, headers[.accessControlRequestMethod] != nil {
            guard allowed else { return .refusedPreflight }
            return .preflight([
                .accessControlAllowOrigin: origin,
                .accessControlAllowMethods: Self.methods,
                .accessControlAllowHeaders: Self.requestHeaders,
                .accessControlMaxAge: String(Self.maxAge),
                .vary: "Origin",
            ])
        }
        guard allowed else { return .notAllowed }
        return .allowed([.accessControlAllowOrigin: origin, .accessControlExposeHeaders: Self.exposedHeaders])
    }
}
