import Foundation

/// A browser's Web Push subscription (endpoint and its keys, base64url as the browser gives them).
public struct PushSubscription: Sendable, Equatable, Codable {
    public var id: UUID
    public var userId: UUID
    public var endpoint: String
    public var p256dhKey: String
    public var authKey: String
    public var createdAt: Timestamp
    public var lastUsedAt: Timestamp?

    enum CodingKeys: String, CodingKey {
        case id, endpoint
        case userId = "user_id"
        case p256dhKey = "p256dh_key"
        case authKey = "auth_key"
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
    }
}
