import Foundation

/// Finds a post Slack made although its answer never came (no answer in time, a connection cut after Slack posted),
/// so that a post tried again is not made twice. Every post carries the id of the message it shows in its metadata
/// (``SlackBlocks/Metadata``); before a retried post, its thread's replies (or, for a thread's first message, the
/// channel's history) since a little before the message was written are read, ``messageLimit`` messages in
/// ``requestLimit`` requests at most, with `conversations.replies` / `conversations.history` (the `channels:history` and
/// `groups:history` scopes app mode asks for). Requests are built and answers read without I/O; ``Notifier`` sends them.
package struct SlackPostLookup: Sendable, Equatable {
    /// The channel the post would be in.
    package var channelId: String
    /// The thread the reply would be in; nil: a thread's first message, in the channel's history.
    package var threadTs: String?
    /// The message the post shows.
    package var messageId: UUID
    /// When the message was written: Slack's time of the post is later, within the clocks' difference.
    package var written: Timestamp

    package init(channelId: String, threadTs: String?, messageId: UUID, written: Timestamp) {
        self.channelId = channelId
        self.threadTs = threadTs
        self.messageId = messageId
        self.written = written
    }

    /// The metadata `event_type` of every post the relay makes.
    static let eventType = "msgrelay_message"
    /// Messages per page asked for at first. Slack's answer repeats each message's text and blocks (a long reply beyond
    /// ASCII is some 300 KB), so a page may be more than the 2 MiB read: it is then asked for again in pages a tenth
    /// its size (``Page/after(_:)``), down to one message.
    static let pageSize = 100
    /// The most messages read for one post: beyond them (a channel with more than 1,000 messages since), it is posted
    /// again.
    package static let messageLimit = 1_000
    /// The most requests made for one post (pages of one message reach fewer than ``messageLimit``).
    package static let requestLimit = 30
    /// The attempts of a post after which a lookup Slack cannot answer no longer holds it back: it is posted (a second
    /// copy is possible), so that a lookup failing for good cannot keep a message, and the conversation's later ones,
    /// from Slack until the outbox gives up.
    package static let retryLimit = 5
    /// How much earlier than the message Slack's clock may put the post.
    static let clockMargin = 300.0

    /// What one page of the lookup came to.
    package enum Step: Sendable, Equatable {
        /// The post is there, with this `ts`.
        case found(ts: String)
        /// Not on this page; the next one is read with this cursor.
        case next(cursor: String)
        /// The page was too large to read whole: it is asked for again in smaller pages.
        case tooLarge
        /// Not there, or it cannot be known (Slack refuses the lookup: a missing scope, a thread deleted): posted.
        case absent
        /// Slack could not answer now: the job is tried again later, with this outcome.
        case retry(DeliveryOutcome)
    }

    /// Where a lookup stands: the page to ask for next, and what the pages before it took.
    package struct Page: Sendable, Equatable {
        /// Nil: the first page.
        package var cursor: String?
        /// Messages asked for.
        package var size = SlackPostLookup.pageSize
        /// Messages the pages read before could hold, and the requests made.
        package var covered = 0
        package var requests = 0

        package init(cursor: String? = nil) {
            self.cursor = cursor
        }

        /// The page to ask for after this one came to `step` (``Step/next(cursor:)`` or ``Step/tooLarge``); nil when
        /// there is none (the lookup is over: the post is absent) or the limits are reached.
        package func after(_ step: Step) -> Page? {
            var page = self
            page.requests += 1
            switch step {
            case .next(let cursor):
                page.cursor = cursor
                page.covered += size
            case .tooLarge:
                // The same page again, smaller; a page of one message too large cannot be read at all.
                guard size > 1 else { return nil }
                page.size = max(1, size / 10)
            case .found, .absent, .retry:
                return nil
            }
            guard page.covered < SlackPostLookup.messageLimit, page.requests < SlackPostLookup.requestLimit else { return nil }
            return page
        }
    }

    /// The request for `page`, as a form: Slack's read methods take no JSON body.
    package func request(_ api: SlackWebAPI, page: Page) -> HTTPClient.Request {
        let oldest = written.adding(seconds: -Self.clockMargin)
        let seconds = oldest.secondsSinceEpoch
        var fields = [
            ("channel", channelId), ("oldest", String(format: "%lld.%06lld", seconds, oldest.microsecondsSinceEpoch - seconds * 1_000_000)),
            ("include_all_metadata", "true"), ("limit", "\(page.size)"),
        ]
        if let threadTs { fields.append(("ts", threadTs)) }
        if let cursor = page.cursor { fields.append(("cursor", cursor)) }
        return api.formRequest(threadTs == nil ? "conversations.history" : "conversations.replies", fields: fields)
    }

    /// Reads the answer to a page's request.
    package func read(_ result: Result<HTTPClient.Response, HTTPClientError>) -> Step {
        // A page too large to read whole would be too large at every attempt: it is read in smaller pages.
        if case .success(let response) = result, response.bodyTruncated, (200..<300).contains(response.status) { return .tooLarge }
        switch SlackWebAPI.answer(result) {
        case .failure(let failure):
            guard case .retry(let reason, let retryAfter) = failure.outcome else { return .absent }
            return .retry(.retry("looking for an earlier post: " + reason, retryAfter: retryAfter))
        case .success:
            break
        }
        guard case .success(let response) = result,
            let body = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        else { return .absent }
        let id = messageId.lowercasedString
        for case let message as [String: Any] in body["messages"] as? [Any] ?? [] {
            guard let metadata = message["metadata"] as? [String: Any], metadata["event_type"] as? String == Self.eventType,
                (metadata["event_payload"] as? [String: Any])?["message_id"] as? String == id,
                let ts = message["ts"] as? String, SlackWebAPI.isIdentifier(ts)
            else { continue }
            return .found(ts: ts)
        }
        guard body["has_more"] as? Bool == true,
            let cursor = (body["response_metadata"] as? [String: Any])?["next_cursor"] as? String, Self.isCursor(cursor)
        else { return .absent }
        return .next(cursor: cursor)
    }

    /// What the post found is for the outbox: the thread it started, or the reply it is.
    package func outcome(ts: String, conversationId: UUID) -> DeliveryOutcome {
        guard threadTs == nil else { return .posted(SlackMessagePost(messageId: messageId, channelId: channelId, ts: ts)) }
        return .threadStarted(
            SlackThread(conversationId: conversationId, channelId: channelId, threadTs: ts, parentTs: ts, parentMessageId: messageId))
    }

    /// Whether `text` may be sent back as a cursor: 1 to 512 printable ASCII characters.
    static func isCursor(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 512 && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}
