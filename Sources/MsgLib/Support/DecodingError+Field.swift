extension DecodingError {
    /// What is wrong with which field, for a client ("data.content has the wrong type"); nil when the input as a
    /// whole is not JSON or not an object (the caller says that in its own words).
    package var fieldProblem: String? {
        func path(_ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            (codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath, key)) is required"
        case .typeMismatch(_, let context):
            return context.codingPath.isEmpty ? nil : "\(path(context.codingPath)) has the wrong type"
        case .valueNotFound(_, let context):
            return "\(path(context.codingPath)) must not be null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? nil : "\(path(context.codingPath)) \(context.debugDescription)"
        @unknown default:
            return nil
        }
    }

    /// True when the error is about the input as a whole rather than one field.
    package var isTopLevel: Bool {
        switch self {
        case .typeMismatch(_, let context), .dataCorrupted(let context): context.codingPath.isEmpty
        default: false
        }
    }
}
