/// Why a request could not be authenticated. All of these mean HTTP 401.
public struct AuthError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Reason: Equatable { case missing, malformed, algorithm, signature, expired, notYetValid, unknownUser }
    private let reason: Reason
    private init(_ reason: Reason) { self.reason = reason }

    /// No bearer token was given.
    public static let missingToken = AuthError(.missing)
    /// The token is not a well-formed JWT with the claims we need (`sub` a UUID, `exp`).
    public static let malformedToken = AuthError(.malformed)
    /// The token is signed with an algorithm other than HS256.
    public static let unsupportedAlgorithm = AuthError(.algorithm)
    /// The signature does not match JWT_SECRET.
    public static let badSignature = AuthError(.signature)
    /// `exp` has passed.
    public static let expiredToken = AuthError(.expired)
    /// `nbf` is still ahead.
    public static let tokenNotYetValid = AuthError(.notYetValid)
    /// The token's subject is not a user in the database.
    public static let unknownUser = AuthError(.unknownUser)

    public var description: String {
        switch reason {
        case .missing: "Missing bearer token"
        case .malformed: "Invalid token"
        case .algorithm: "Invalid token algorithm"
        case .signature: "Invalid token signature"
        case .expired: "Token expired"
        case .notYetValid: "Token not yet valid"
        case .unknownUser: "Unknown user"
        }
    }
}
