import MsgLib

extension UserFacingError: ClassifiedError {
    /// msgctl's own errors: for the terminal only, of the kind whose exit status they carry.
    package var failure: Failure {
        let kind: Failure.Kind =
            switch exitStatus {
            case .dataError: .invalid
            case .noUser: .notFound
            case .noPermission: .forbidden
            case .tempFail: .busy
            case .unavailable: .unavailable
            case .config: .configuration
            case .usage: .usage
            case .noInput: .noInput
            case .cantCreate: .cantCreate
            case .software: .internal
            case .success, .failure: .failed
            }
        return Failure(kind)
    }
}
