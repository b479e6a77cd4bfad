import Foundation

/// A message with what real-time delivery needs: its sender and whose conversation it is in.
public struct DeliverableMessage: Sendable, Equatable {
    public var message: Message
    public var sender: User
    /// The user whose conversation holds the message (the admin side is every admin).
    public var conversationUserId: UUID
    /// The transaction that inserted it (`messages.txid`), where the read asked for it.
    public var txid: UInt64? = nil
}
