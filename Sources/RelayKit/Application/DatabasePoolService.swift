import MsgLib
import ServiceLifecycle

/// Closes the database pool when the service group shuts down (after the HTTP server has stopped).
struct DatabasePoolService: Service {
    let pool: DatabasePool

    func run() async throws {
        try? await gracefulShutdown()
        await pool.shutdown()
    }
}
