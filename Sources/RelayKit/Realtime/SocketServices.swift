import MsgLib

/// What every socket of a relay shares: the service layer, the hub, the commit feed, the settings and the metrics.
///
/// One instance per relay, referenced by each ``SocketSession``: a socket carries a pointer to these rather than a
/// copy of each (a copy of the service and the settings was some 3 KiB per socket).
final class SocketServices: Sendable {
    let service: MessagingService
    let hub: Hub
    let feed: CommitFeed
    let configuration: RealtimeConfiguration
    /// Counts frames, replays and refusals; nil in tests that need none.
    let metrics: RelayMetrics?
    /// Each user's typing indicators, whatever socket they come from.
    let typing = TypingGates(interval: SocketSession.typingInterval)

    init(service: MessagingService, hub: Hub, feed: CommitFeed, configuration: RealtimeConfiguration, metrics: RelayMetrics? = nil) {
        self.service = service
        self.hub = hub
        self.feed = feed
        self.configuration = configuration
        self.metrics = metrics
    }
}
