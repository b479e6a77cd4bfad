import Hummingbird
import MsgLib

/// The probes: `GET /healthz` (liveness: 200 `{"status":"ok"}` when the database answers, 503 otherwise) and
/// `GET /readyz` (readiness: 200 only while the database takes writes, so a load balancer stops routing to a relay
/// that reaches only a standby or no database at all, nor to one that is stopping). Anyone may ask, so each answers from one check a second
/// (``SharedProbe``): a flood of probes takes no pool connection from the users.
struct HealthController {
    let service: MessagingService
    /// True once the relay has begun to stop (SIGTERM): `/readyz` answers 503 from then on.
    let isStopping: @Sendable () -> Bool
    let health = SharedProbe()
    let readiness = SharedProbe()

    func addRoutes(to router: Router<RelayRequestContext>) {
        router.get("/healthz") { [service, health] _, _ -> Response in
            do {
                _ = try await health.result {
                    try await service.checkDatabase()
                    return true
                }
            } catch {
                throw APIError(.serviceUnavailable, "Database unavailable")
            }
            return .json(["status": "ok"])
        }
        router.get("/readyz") { [service, readiness, isStopping] _, _ -> Response in
            guard !isStopping() else { throw APIError(.serviceUnavailable, "Shutting down") }
            let writable: Bool
            do {
                writable = try await readiness.result { try await service.checkWritable() }
            } catch {
                throw APIError(.serviceUnavailable, "Database unavailable")
            }
            guard writable else { throw APIError(.serviceUnavailable, "Database is read-only (a standby or a read-only session)") }
            return .json(["status": "ok"])
        }
    }
}
