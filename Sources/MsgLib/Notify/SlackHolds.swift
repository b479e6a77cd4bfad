/// What Slack's `Retry-After`s ask of the outbox: Slack limits each Web API method (and the webhook) as a whole, not
/// one job, so a `Retry-After` in an answer to a job of one kind holds every job of that kind, on every relay, until it
/// has passed; a job of another kind (another method) goes on. Push services are left out: each subscription's
/// service answers for itself.
package enum SlackHolds {
    /// For each Slack kind among `results`, the longest wait its retries' `Retry-After`s ask for, as `policy` bounds it
    /// (``RetryPolicy/wait(asked:)``); kinds without one are absent.
    package static func asked(_ results: [(kind: OutboxJob.Kind, outcome: DeliveryOutcome)], policy: RetryPolicy) -> [OutboxJob.Kind: Double] {
        var holds: [OutboxJob.Kind: Double] = [:]
        for (kind, outcome) in results where kind != .push {
            guard case .retry(_, let retryAfter?) = outcome else { continue }
            holds[kind] = max(holds[kind] ?? 0, policy.wait(asked: retryAfter))
        }
        return holds
    }
}
