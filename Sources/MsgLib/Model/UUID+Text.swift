import Foundation

extension UUID {
    /// The UUID in lowercase, as PostgreSQL and RFC 9562 write it and as the API sends it.
    public var lowercasedString: String { uuidString.lowercased() }
}
