import Testing

@testable import MsgLib

/// Which `Retry-After`s hold which kinds of job.
struct SlackHoldsTests {
    @Test func eachSlackKindIsHeldByTheLongestRetryAfterOfItsOwn() {
        let results: [(kind: OutboxJob.Kind, outcome: DeliveryOutcome)] = [
            (.slackPost, .retry("Slack answered 429 ratelimited", retryAfter: 3)),
            (.slackPost, .retry("Slack answered 429 ratelimited", retryAfter: 30)),
            (.slackPost, .delivered),
            (.slackUpdate, .retry("Slack answered 503", retryAfter: nil)),
            (.slackReaction, .retry("Slack answered 429 ratelimited", retryAfter: 0)),
            (.slack, .retry("Slack answered 429", retryAfter: 7200)),
            (.push, .retry("push service answered 429", retryAfter: 60)),
        ]
        let holds = SlackHolds.asked(results, policy: RetryPolicy(base: .seconds(5), maximum: .seconds(3600)))
        // A push service answers for one subscription; a retry without Retry-After is that job's own backoff.
        #expect(holds == [.slackPost: 30, .slackReaction: 0, .slack: 3600])
    }

    @Test func anUnreadableOrNegativeRetryAfterStaysWithinBounds() {
        let holds = SlackHolds.asked(
            [(.slackPost, .retry("429", retryAfter: .nan)), (.slackUpdate, .retry("429", retryAfter: -5)), (.slack, .failed("invalid_blocks"))],
            policy: RetryPolicy(base: .seconds(5), maximum: .seconds(60)))
        #expect(holds == [.slackPost: 60, .slackUpdate: 0])
    }
}
