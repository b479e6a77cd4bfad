extension ServiceError: ClassifiedError {
    /// The service's refusals are all for the client, with their message.
    public var failure: Failure {
        let kind: Failure.Kind =
            switch self.kind {
            case .invalid: .invalid
            case .unauthorized: .unauthorized
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict: .conflict
            case .rateLimited: .rateLimited
            case .unavailable: .unavailable
            }
        return Failure(kind, publicMessage: message, retryAfter: retryAfter)
    }
}
