import ArgumentParser
import MsgLib

/// Who a command acts as.
struct AdminOptions: ParsableArguments {
    @Option(name: .customLong("as"), help: ArgumentHelp("The admin to act as (default: the only admin).", valueName: "admin"))
    var admin: String?
}

extension ConnectionOptions {
    /// Runs `body` with the messaging service over one connection (or up to `connections`, for a service call that
    /// runs statements side by side), then closes them. `notifications` matter only to commands that send
    /// notifications themselves (a reply only queues them for the relay).
    func withService<T: Sendable>(
        connections: Int = 1, notifications: NotificationConfiguration = NotificationConfiguration(),
        _ body: (MessagingService) async throws -> T
    ) async throws -> T {
        let pool = try makePool(size: connections)
        do {
            let value = try await body(MessagingService(pool: pool, notifications: notifications))
            await pool.shutdown()
            return value
        } catch {
            await pool.shutdown()
            throw error
        }
    }
}
