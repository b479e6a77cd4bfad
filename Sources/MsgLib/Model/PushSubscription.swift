import Foundation

/// A browser's Web Push subscription (endpoint and its keys, base64url as the browser gives them).
public struct PushSubscription: Sendable, Equatable {
    public var id: UUID
    public var userId: UUID
    public var endpoint: String
    public var p256dhKey: String
    public var authKey: String
    public var createdAt: Timestamp
    public var lastUsedAt: Timestamp?

}
