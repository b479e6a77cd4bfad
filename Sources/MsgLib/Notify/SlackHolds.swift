/// What Slack's `Retry-After`s ask of the outbox: Slack limits each Web API method (and the webhook) as a whole, not
/// one job, so a `Retry-After` in an answer to a job of one kind holds every job of that kind, on every relay, until it
/// has passed; a job of another kind (another method) goes on. Push services are left out: each subscription's
/// service answers for itself.
package enum SlackHolds {
    /// For each Slack kind among `results`, the longest `Retry-After` its retries came with, within `0...maximum`
    /// seconds (an unreadable one, NaN, is the maximum); kinds without one are absent.
    package static func asked(_ results: [(kind: OutboxJob.Kind, outcome: DeliveryOutcome)], maximum: Double) -> [OutboxJob.Kind: Double] {
        var holds: [OutboxJob.Kind: Double] = [:]
        for (kind, outcome) in results where kind != .push {
            guard case .retry(_, let retryAfter?) = outcome else { continue }
            let seconds = retryAfter.isNaN ? maximum : RetryPolicy.bounded(retryAfter, upTo: maximum)
            holds[kind] = max(holds[kind] ?? 0, seconds)
        }
        return holds
    }
}
