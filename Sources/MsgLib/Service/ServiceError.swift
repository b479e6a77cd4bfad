/// A request the rules refuse, with a message meant for the client (the design document's error strings).
///
/// REST maps ``Kind`` to an HTTP status, the WebSocket to an `error` frame code, msgctl to an exit status.
public struct ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Malformed or rule-breaking input (HTTP 400).
        case invalid = "invalid_request"
        /// No valid identity (HTTP 401).
        case unauthorized
        /// The caller may not do this (HTTP 403).
        case forbidden
        /// The thing named does not exist, or is deleted (HTTP 404).
        case notFound = "not_found"
        /// It already exists (HTTP 409).
        case conflict
        /// Too many messages; try again after ``ServiceError/retryAfter`` seconds (HTTP 429).
        case rateLimited = "rate_limited"
        /// A part of the service is not configured or not reachable (HTTP 503).
        case unavailable
    }

    public let kind: Kind
    public let message: String
    /// Seconds until a rate-limited caller may try again.
    public let retryAfter: Int?

    public init(_ kind: Kind, _ message: String, retryAfter: Int? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { message }

    static let conversationNotFound = ServiceError(.notFound, "Conversation not found")
    static let conversationForbidden = ServiceError(.forbidden, "Not authorized to access this conversation")
    static let messageNotFound = ServiceError(.notFound, "Message not found")
    static let sendForbidden = ServiceError(.forbidden, "Not authorized to send message in this conversation")
    /// Marking read one's own message, or one of one's own side's (another admin's reply): REST and `mark_read` alike.
    static let readOwnMessage = ServiceError(.forbidden, "Cannot mark own message as read")
    package static let readNotRecipient = ServiceError(.forbidden, "Only the recipient can mark a message as read")
    package static let adminRequired = ServiceError(.forbidden, "Admin access required")
    static let clientKeyReused = ServiceError(.conflict, "This idempotency key was already used for a different message")
    static let invalidContent = ServiceError(.invalid, "Content must be between 1 and 10000 characters")
    static let invalidContentWithAttachments = ServiceError(.invalid, "Content must be at most 10000 characters")
    static let attachmentsNotConfigured = ServiceError(.unavailable, "Attachments are not configured on this server (ATTACHMENT_STORE)")
    static let attachmentNotFound = ServiceError(.notFound, "Attachment not found")
    package static let pushNotConfigured = ServiceError(
        .unavailable, "Web Push is not configured on this server (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT)")
    static let endpointTaken = ServiceError(
        .conflict,
        "This push endpoint is registered to another account: unsubscribe it in the browser (PushSubscription.unsubscribe) and subscribe again for a new one"
    )
    package static let slackNotConfigured = ServiceError(
        .unavailable, "Slack is not configured (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_CHANNEL_ID or SLACK_WEBHOOK_URL, and ADMIN_URL_BASE)")
}
