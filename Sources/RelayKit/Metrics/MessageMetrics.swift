import MsgLib
import Prometheus
import Synchronization

/// Messages in ``RelayMetrics``: those created, by the surface they came in on; those other processes committed that
/// this relay's commit feed delivered; and the requests refused by a rate limit, by surface.
///
/// Each relay counts the messages it created itself (REST, WebSocket, Slack). msgctl exports no metrics: its messages
/// are counted by the one relay that holds the counting right (``counting``, claimed by its listener's session), as
/// its commit feed delivers them, so that a sum over the relays counts each once. While the right moves (its holder
/// stopped or lost its database connection), messages msgctl commits are not counted.
package final class MessageMetrics: Sendable {
    private let created: [MessageSource: Counter]
    private let fromOtherWriters: Counter
    private let rateLimited: [RateLimited: Counter]
    private let countingGauge: Gauge
    private let isCounting = Atomic<Bool>(false)

    /// Where a rate limit refused something, and which limit.
    package enum RateLimited: String, CaseIterable, Sendable {
        /// A message send over REST (messages per minute, hour, day).
        case restMessages = "rest/messages"
        /// A push subscription (`POST /api/push/subscribe`).
        case restPushSubscriptions = "rest/push_subscriptions"
        /// A test notification (`POST /api/push/test`).
        case restPushTests = "rest/push_tests"
        /// An upload (`POST /api/attachments`).
        case restAttachments = "rest/attachments"
        /// Any other REST request answered 429.
        case restOther = "rest/other"
        /// A message send over a socket.
        case websocketMessages = "websocket/messages"
        /// A frame beyond the socket's frame rate.
        case websocketFrames = "websocket/frames"
        /// A socket beyond the user's socket limit.
        case websocketSockets = "websocket/sockets"

        var surface: String { String(rawValue.split(separator: "/")[0]) }
        var limit: String { String(rawValue.split(separator: "/")[1]) }

        /// The limit a REST 429 on the route pattern `route` comes from.
        package static func rest(route: String) -> RateLimited {
            switch route {
            case "/api/messages", "/api/conversations": .restMessages
            case "/api/push/subscribe": .restPushSubscriptions
            case "/api/push/test": .restPushTests
            case "/api/attachments": .restAttachments
            default: .restOther
            }
        }
    }

    init(registry: PrometheusCollectorRegistry) {
        created = registry.counters(
            "msgrelay_messages_created_total", label: "source", MessageSource.allCases, value: \.rawValue,
            help: "Messages created, by the surface they came in on: rest, websocket and slack through this relay; msgctl counted by one relay")
        fromOtherWriters = registry.makeCounter(
            name: "msgrelay_messages_from_other_writers_total",
            help: "Messages committed by another process (msgctl, or another relay on the same database) that this relay delivered")
        rateLimited = Dictionary(
            uniqueKeysWithValues: RateLimited.allCases.map {
                (
                    $0,
                    registry.makeCounter(
                        name: "msgrelay_rate_limited_total", labels: [("surface", $0.surface), ("limit", $0.limit)],
                        help: "Requests, frames and sockets refused by a rate limit, by surface and limit")
                )
            })
        countingGauge = registry.makeGauge(
            name: "msgrelay_counting_other_writers",
            help: "1 on the one relay that counts the messages msgctl creates (msgrelay_messages_created_total{source=\"msgctl\"}), else 0")
    }

    /// Counts `count` messages created through `source`.
    package func created(_ source: MessageSource, count: Int = 1) {
        created[source]?.increment(by: Int64(count))
    }

    /// Counts messages another process committed, delivered by the commit feed; msgctl's also as created, when this
    /// relay holds the counting right.
    func fromOtherWriters(_ messages: [DeliverableMessage]) {
        guard !messages.isEmpty else { return }
        fromOtherWriters.increment(by: Int64(messages.count))
        guard isCounting.load(ordering: .relaxed) else { return }
        let fromMsgctl = messages.count { $0.source == .msgctl }
        if fromMsgctl > 0 { created(.msgctl, count: fromMsgctl) }
    }

    /// Whether this relay holds the right to count msgctl's messages now.
    func counting(_ holds: Bool) {
        isCounting.store(holds, ordering: .relaxed)
        countingGauge.set(Int64(holds ? 1 : 0))
    }

    /// Counts one refusal by a rate limit.
    package func rateLimited(_ limit: RateLimited) {
        rateLimited[limit]?.increment()
    }
}
