import Foundation

/// Reasons an inbox event is ignored that callers tell apart.
enum SlackInboxReason {
    static let unknownPost = "a reaction on a Slack message that is not a conversation's"
    static let notAThread = "not the thread of a conversation"
}

extension MessagingService {
    /// What a reaction added or removed in Slack does, in the inbox's transaction: on a message with a Slack post (one
    /// the relay posted or one that came from Slack), by a Slack user linked to an admin, with a short name of
    /// ``SlackEmojiName``, it becomes that admin's reaction through the same rules as the REST API (delivered as
    /// `reaction_changed`), marked as from Slack so that it is not sent back. Anything else is ignored with the reason.
    static func takeSlackReaction(_ db: PostgresConnection, _ change: SlackReactionChange, settings: ReactionSettings) throws -> SlackInboxOutcome {
        guard let text = SlackEmojiName.emoji(forName: change.name), let emoji = ReactionEmoji(text) else {
            return .ignored("the reaction \(change.name) has no emoji the product mirrors")
        }
        guard let admin = try linkedAdmin(db, slackUserId: change.slackUserId) else {
            return .ignored("Slack user \(change.slackUserId) is not linked to an admin")
        }
        guard let messageId = try SlackPostRepository.message(db, channelId: change.channelId, ts: change.ts) else {
            return .ignored(SlackInboxReason.unknownPost)
        }
        let outcome = try react(db, viewer: admin, messageId: messageId, emoji: emoji, add: change.added, fromSlack: true, settings: settings)
        guard outcome.changed else {
            return .ignored(change.added ? "the admin had reacted so already" : "the admin had no such reaction from Slack")
        }
        return .reacted(messageId)
    }
}
