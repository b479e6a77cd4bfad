extension S3StoreError: ClassifiedError {
    /// Clients are told the storage is unavailable, never S3's answer; the operator finds it in the log (it names the
    /// settings to check). A key or value the store cannot sign is the relay's bug: internal.
    package var failure: Failure {
        switch kind {
        case .invalidRequest: Failure(.internal)
        case .unavailable: Failure(.unavailable, publicMessage: "Attachment storage unavailable", retryAfter: 5, isLogged: true)
        case .denied, .noSuchBucket, .badAnswer: Failure(.unavailable, publicMessage: "Attachment storage unavailable", isLogged: true)
        }
    }
}
