import MsgLib
import Prometheus

/// Messages in ``RelayMetrics``: those this relay created, by the surface they came in on; those other processes
/// committed that its commit feed delivered; and the requests refused by a rate limit, by surface.
package final class MessageMetrics: Sendable {
    /// The surfaces that create messages through this relay.
    package enum Source: String, CaseIterable, Sendable {
        case rest, websocket, slack
    }

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

    private let created: [Source: Counter]
    private let fromOtherWriters: Counter
    private let rateLimited: [RateLimited: Counter]

    init(registry: PrometheusCollectorRegistry) {
        created = registry.counters(
            "msgrelay_messages_created_total", label: "source", Source.allCases, value: \.rawValue,
            help: "Messages this relay created, by the surface they came in on (rest, websocket, slack)")
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
    }

    /// Counts `count` messages created through `source`.
    package func created(_ source: Source, count: Int = 1) {
        created[source]?.increment(by: Int64(count))
    }

    /// Counts messages another process committed, delivered by the commit feed.
    func fromOtherWriters(_ count: Int) {
        if count > 0 { fromOtherWriters.increment(by: Int64(count)) }
    }

    /// Counts one refusal by a rate limit.
    package func rateLimited(_ limit: RateLimited) {
        rateLimited[limit]?.increment()
    }
}
