extension DatabaseError: ClassifiedError {
    /// Clients are told what kind of failure this is, never the server's message (it may hold SQL or row data): an
    /// unreachable database (with ``retryAfter`` when the failure is likely to pass), a value the database refused
    /// (a data exception, a check or not-null constraint: invalid), a row that conflicts with one already stored,
    /// or a reference to a row that does not exist. Such input should have been refused before it reached the
    /// database, so these are logged too; any other failure is internal.
    public var failure: Failure {
        switch kind {
        case .unavailable: Failure(.unavailable, publicMessage: "Database unavailable", retryAfter: retryAfter, isLogged: true)
        case .conflict: Failure(.conflict, publicMessage: "This conflicts with data already stored", isLogged: true)
        case .validation: Failure(.invalid, publicMessage: "A value in the request cannot be stored (invalid or out of range)", isLogged: true)
        case .reference: Failure(.invalid, publicMessage: "The request refers to something that does not exist", isLogged: true)
        // For a client, a database the relay is not set up for is one it cannot use (msgctl exits 78: ExitStatus.forError).
        case .configuration: Failure(.unavailable, publicMessage: "Database unavailable", isLogged: true)
        default: Failure(.internal)
        }
    }
}
