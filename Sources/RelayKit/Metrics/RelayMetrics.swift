import MsgLib
import Prometheus

/// The relay's Prometheus metrics: requests by route, method and status, a latency histogram by route, the database
/// pool's use and the open sockets (read when scraped), and the groups that count the rest: ``sockets``,
/// ``messages``, ``notifications``. Every name is in the `msgrelay_` namespace (docs/deploy.md lists them).
package final class RelayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let pool: DatabasePool
    private let hub: Hub?
    private let connections: Gauge
    private let poolSize: Gauge
    private let poolOpen: Gauge
    private let poolInUse: Gauge
    private let poolWaiting: Gauge
    private let snapshotReads: Counter
    /// WebSocket frames, sockets opened and ended, resumes and replays.
    package let sockets: SocketMetrics
    /// Messages created by source, from other writers, and rate-limit refusals.
    package let messages: MessageMetrics
    /// Notification outcomes and the outbox's backlog.
    package let notifications: NotificationMetrics

    static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    package init(pool: DatabasePool, hub: Hub? = nil) {
        self.pool = pool
        self.hub = hub
        connections = registry.makeGauge(name: "msgrelay_websocket_connections", help: "WebSocket connections open on this relay")
        poolSize = registry.makeGauge(name: "msgrelay_db_pool_size", help: "Connections the database pool may open")
        poolOpen = registry.makeGauge(name: "msgrelay_db_pool_open", help: "Connections the database pool has open")
        poolInUse = registry.makeGauge(name: "msgrelay_db_pool_in_use", help: "Connections lent out right now")
        poolWaiting = registry.makeGauge(name: "msgrelay_db_pool_waiting", help: "Callers waiting for a connection")
        snapshotReads = registry.makeCounter(
            name: "msgrelay_commit_snapshots_total",
            help: "Snapshots read to find newly committed messages (the messages this relay commits usually need none)")
        sockets = SocketMetrics(registry: registry)
        messages = MessageMetrics(registry: registry)
        notifications = NotificationMetrics(registry: registry)
    }

    /// Counts one snapshot read by the commit feed.
    func recordSnapshotRead() {
        snapshotReads.increment()
    }

    /// Records one finished request. `route` is the matched route pattern (never the raw path).
    func record(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            name: "msgrelay_http_requests_total", labels: [("route", route), ("method", method), ("status", String(status))],
            help: "HTTP requests by route, method and status"
        ).increment()
        registry.makeDurationHistogram(
            name: "msgrelay_http_request_duration_seconds", labels: [("route", route)], buckets: Self.latencyBuckets,
            help: "HTTP request latency by route"
        ).recordNanoseconds(duration.nanoseconds)
        if status == 429 { messages.rateLimited(.rest(route: route)) }
    }

    /// The metrics in Prometheus text format.
    package func render() -> String {
        let statistics = pool.statistics
        poolSize.set(Double(statistics.size))
        poolOpen.set(Double(statistics.open))
        poolInUse.set(Double(statistics.inUse))
        poolWaiting.set(Double(statistics.waiting))
        connections.set(Double(hub?.connectionCount ?? 0))
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
