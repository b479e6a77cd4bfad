import Foundation

/// The bot's reaction on a message's Slack post, set to what the product shows: `reactions.add` when someone reacted
/// so in the product, `reactions.remove` when nobody does any more.
package struct SlackReactionRequest: Sendable, Equatable {
    package var post: SlackMessagePost
    /// Slack's short name (``SlackEmojiName``).
    package var name: String
    package var add: Bool

    package init(post: SlackMessagePost, name: String, add: Bool) {
        self.post = post
        self.name = name
        self.add = add
    }

    /// The Web API method.
    package var method: String { add ? "reactions.add" : "reactions.remove" }

    /// The JSON body: `{"channel", "timestamp", "name"}`.
    package var body: [UInt8] {
        let object = ["channel": post.channelId, "timestamp": post.ts, "name": name]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    /// Slack's errors that mean the reaction is already as wanted: done.
    static let settledErrors: Set<String> = ["already_reacted", "no_reaction"]

    /// What Slack's answer means for the job: `ok`, `already_reacted` (adding) and `no_reaction` (removing) are done;
    /// everything else as for every Web API call (``SlackWebAPI/answer(_:)``).
    package static func outcome(_ result: Result<HTTPClient.Response, HTTPClientError>) -> DeliveryOutcome {
        switch SlackWebAPI.answer(result) {
        case .success: return .delivered
        case .failure(let failure):
            if let error = failure.error, settledErrors.contains(error) { return .delivered }
            return failure.outcome
        }
    }
}
