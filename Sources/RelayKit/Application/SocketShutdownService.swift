import ServiceLifecycle

/// On shutdown, closes every socket with 1001 after flushing it, and waits (at most 5 s) for them to go.
struct SocketShutdownService: Service {
    let hub: Hub

    func run() async throws {
        try? await gracefulShutdown()
        hub.closeAll(.goingAway)
        let deadline = ContinuousClock.now + .seconds(5)
        while hub.connectionCount > 0, ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return }
        }
    }
}
