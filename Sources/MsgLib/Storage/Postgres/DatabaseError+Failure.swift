extension DatabaseError: ClassifiedError {
    /// Only an unreachable database is told to clients (without the server's message, with ``retryAfter`` when the
    /// failure is likely to pass); the rest stays in the log, since it may hold SQL or row data.
    public var failure: Failure {
        switch kind {
        case .unavailable: Failure(.unavailable, publicMessage: "Database unavailable", retryAfter: retryAfter, isLogged: true)
        case .conflict: Failure(.conflict)
        case .validation, .reference: Failure(.invalid)
        default: Failure(.internal)
        }
    }
}
