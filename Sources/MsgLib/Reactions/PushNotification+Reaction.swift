import Foundation

extension PushNotification {
    /// The notification of a reaction added to a message (`NOTIFY_REACTIONS=1`): who reacted with what, and as much of
    /// the message as fits.
    package init(reaction: OutboxReaction, message: Message) {
        let text = message.content.isEmpty ? MessageAttachment.countText(message.attachments.count) : message.content
        self.init(
            title: "New reaction", body: "\(reaction.reactor.displayName) reacted \(reaction.emoji) to: \(text)",
            conversationId: message.conversationId, messageId: message.id)
        self.reaction = Reaction(emoji: reaction.emoji, user_id: reaction.reactor.id.lowercasedString)
    }
}
