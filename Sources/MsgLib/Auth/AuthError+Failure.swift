extension AuthError: ClassifiedError {
    /// Every authentication failure asks for credentials, saying what was wrong with them.
    public var failure: Failure { Failure(.unauthenticated, publicMessage: description) }
}
