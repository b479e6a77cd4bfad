/// How an error is classified for whoever sees it: its kind, what a client of the relay may be told, and when to
/// retry. Each error type states it once (``ClassifiedError``); each transport (HTTP, WebSocket, exit status)
/// maps it once.
public struct Failure: Sendable, Equatable {
    /// What went wrong, in terms every transport can map.
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// Malformed or rule-breaking input.
        case invalid
        /// No valid credentials were given (HTTP 401 with a `Bearer` challenge).
        case unauthenticated
        /// No valid identity (HTTP 401).
        case unauthorized
        /// The caller may not do this.
        case forbidden
        /// The thing named does not exist, or is deleted.
        case notFound
        /// It already exists.
        case conflict
        /// Too many requests; try again after ``Failure/retryAfter`` seconds.
        case rateLimited
        /// A part of the service is not configured or not reachable.
        case unavailable
        /// A setting is missing or wrong.
        case configuration
        /// The command line is wrong.
        case usage
        /// An input file cannot be read.
        case noInput
        /// An output file cannot be created or written.
        case cantCreate
        /// Someone else holds what is needed (a lock): try again later.
        case busy
        /// A failure with no more specific kind.
        case failed
        /// A bug or an unexpected failure of a lower layer.
        case `internal`
    }

    public var kind: Kind
    /// What a client of the relay is told; nil keeps the error to the server's log (the client hears of an internal error).
    public var publicMessage: String?
    /// Seconds until the caller may try again.
    public var retryAfter: Int?
    /// The relay's HTTP layer logs this failure although the client is told of it (the operator needs to know).
    public var isLogged: Bool

    public init(_ kind: Kind, publicMessage: String? = nil, retryAfter: Int? = nil, isLogged: Bool = false) {
        self.kind = kind
        self.publicMessage = publicMessage
        self.retryAfter = retryAfter
        self.isLogged = isLogged
    }
}
