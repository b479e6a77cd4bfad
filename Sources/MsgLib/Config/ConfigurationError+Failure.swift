extension ConfigurationError: ClassifiedError {
    /// A setting of the server's own: for its operator, never for a client.
    public var failure: Failure { Failure(.configuration) }
}
