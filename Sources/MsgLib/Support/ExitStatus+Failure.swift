extension ExitStatus {
    /// The status that best describes `error`: its kind's, or ``failure`` for an error that is not classified.
    package static func forError(_ error: any Error) -> ExitStatus {
        // A schema not migrated, a connection string or credentials refused: trying again will not help.
        if let database = error as? DatabaseError, database.kind == .configuration { return .config }
        return (error as? any ClassifiedError).map { ExitStatus($0.failure.kind) } ?? .failure
    }

    /// The status for a kind of failure.
    package init(_ kind: Failure.Kind) {
        self =
            switch kind {
            case .invalid, .conflict: .dataError
            case .notFound: .noUser
            case .forbidden, .unauthorized: .noPermission
            case .rateLimited, .busy: .tempFail
            case .unavailable: .unavailable
            case .configuration: .config
            case .usage: .usage
            case .noInput: .noInput
            case .cantCreate: .cantCreate
            case .internal: .software
            case .unauthenticated, .failed: .failure
            }
    }
}
