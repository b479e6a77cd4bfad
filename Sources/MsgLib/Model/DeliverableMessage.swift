import Foundation

/// A message with what real-time delivery needs: its sender and whose conversation it is in.
public struct DeliverableMessage: Sendable, Equatable {
    public var message: Message
    public var sender: User
    /// The user whose conversation holds the message (the admin side is every admin).
    public var conversationUserId: UUID
    /// The transaction that inserted it (`messages.txid`), where the read asked for it.
    public var txid: UInt64? = nil
    /// The transaction that changed the message's conversation last before this message's (every message insert
    /// does), where the insert asked for it: whatever it wrote is delivered before this message, so that a
    /// conversation's messages go out in commit order.
    public var after: UInt64? = nil
    /// The surface it came in on (`messages.source`), where the read asked for it.
    public var source: MessageSource? = nil
}
