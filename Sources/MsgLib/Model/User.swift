import Foundation

/// A signed-in user of the site, or the admin (`isAdmin`).
public struct User: Sendable, Equatable {
    public var id: UUID
    public var username: String
    public var displayName: String
    public var slug: String
    public var isAdmin: Bool
    public var createdAt: Timestamp

    public init(id: UUID, username: String, displayName: String, slug: String, isAdmin: Bool, createdAt: Timestamp) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.slug = slug
        self.isAdmin = isAdmin
        self.createdAt = createdAt
    }

    /// A URL-friendly form of `text`: lowercase ASCII letters and digits joined by single dashes.
    public static func slug(from text: String) -> String {
        var out = ""
        var dash = false
        for scalar in text.lowercased().unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                if dash, !out.isEmpty { out.append("-") }
                out.unicodeScalars.append(scalar)
                dash = false
            } else {
                dash = true
            }
        }
        return out.isEmpty ? "user" : out
    }
}
