import MsgLib
import Prometheus

/// Notifications in ``RelayMetrics``: what became of each job this relay's outbox worker sent, by kind, and the
/// outbox's backlog as last read by the worker (on its own connection, at most every few seconds).
package final class NotificationMetrics: Sendable {
    /// What became of one attempt at a notification job.
    package enum Outcome: String, CaseIterable, Sendable {
        /// Delivered (a Slack thread started counts too).
        case sent
        /// Failed for now; tried again later.
        case retried
        /// Failed for longer than OUTBOX_MAX_AGE_SECONDS: dropped.
        case givenUp = "given_up"
        /// Refused for good (a request the service will never take).
        case failed
        /// The push subscription is gone (the service said so): removed.
        case gone
        /// Nothing left to send (the message was read or deleted first).
        case moot
    }

    private let outcomes: [String: Counter]
    private let pending: [OutboxJob.Kind: Gauge]
    private let oldestDue: Gauge
    private let backlogRead: Gauge

    init(registry: PrometheusCollectorRegistry) {
        var outcomes: [String: Counter] = [:]
        for kind in OutboxJob.Kind.allCases {
            for outcome in Outcome.allCases {
                outcomes["\(kind.rawValue)/\(outcome.rawValue)"] = registry.makeCounter(
                    name: "msgrelay_notifications_total", labels: [("kind", kind.rawValue), ("outcome", outcome.rawValue)],
                    help: "Notification attempts by kind (push, slack, slack_post, slack_update, slack_reaction) and outcome")
            }
        }
        self.outcomes = outcomes
        pending = Dictionary(
            uniqueKeysWithValues: OutboxJob.Kind.allCases.map { kind in
                let help = "Notification jobs waiting in the outbox (shared by every relay of the database), by kind"
                return (kind, registry.makeGauge(name: "msgrelay_outbox_jobs", labels: [("kind", kind.rawValue)], help: help))
            })
        oldestDue = registry.makeGauge(
            name: "msgrelay_outbox_oldest_due_seconds", help: "How long the oldest due notification job has been due (0 when none is due)")
        backlogRead = registry.makeGauge(
            name: "msgrelay_outbox_backlog_read_timestamp_seconds",
            help: "When the outbox backlog gauges were last read from the database (Unix time)")
    }

    /// Counts one outcome of a job of `kind`.
    package func record(_ kind: OutboxJob.Kind, _ outcome: Outcome) {
        outcomes["\(kind.rawValue)/\(outcome.rawValue)"]?.increment()
    }

    /// Sets the backlog gauges from a reading of the outbox.
    package func backlog(_ backlog: OutboxBacklog) {
        for kind in OutboxJob.Kind.allCases { pending[kind]?.set(Double(backlog.pending[kind] ?? 0)) }
        oldestDue.set(max(0, backlog.oldestDueSeconds ?? 0))
        backlogRead.set(Double(Timestamp.now().microsecondsSinceEpoch) / 1e6)
    }
}
