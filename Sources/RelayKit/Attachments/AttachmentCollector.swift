import Logging
import MsgLib
import ServiceLifecycle

/// Removes uploads never attached to a message (``AttachmentConfiguration/pendingLifetime``), files whose rows were
/// deleted (``MessagingService/collectAttachmentGarbage()``) and partial uploads left behind every `interval`: an index probe each when there are none. Several relays may run it at once: each takes different rows.
struct AttachmentCollector: Service {
    let service: MessagingService
    let interval: Duration
    let logger: Logger
    /// How long a partial upload may go unwritten before it counts as abandoned: far beyond any body timeout.
    static let abandonedAfter: Duration = .seconds(3600)

    /// Runs until shutdown (a service that returned early would end the whole group), collecting only when
    /// attachments are configured.
    func run() async throws {
        guard service.attachments != nil else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: interval)
                do {
                    let unattached = try await service.collectUnattachedAttachments()
                    if unattached.removed > 0 { logger.info("removed unattached uploads", metadata: ["count": "\(unattached.removed)"]) }
                    let orphans = try await service.collectAttachmentGarbage()
                    if orphans.removed > 0 { logger.info("removed files whose rows were deleted", metadata: ["count": "\(orphans.removed)"]) }
                    for summary in [unattached.failureSummary, orphans.failureSummary].compactMap({ $0 }) { logger.warning("\(summary)") }
                    if let store = service.attachments?.store {
                        let abandoned = try await store.removeAbandonedUploads(olderThan: Self.abandonedAfter)
                        if abandoned > 0 { logger.info("removed uploads cut short", metadata: ["count": "\(abandoned)"]) }
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("collecting unattached uploads failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
