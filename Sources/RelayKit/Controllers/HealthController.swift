import Hummingbird
import MsgLib

/// The probes: `GET /healthz` (liveness: 200 `{"status":"ok"}` when the database answers, 503 otherwise) and
/// `GET /readyz` (readiness: 200 only while the database takes writes, so a load balancer stops routing to a relay
/// that reaches only a standby or no database at all).
struct HealthController {
    let service: MessagingService

    func addRoutes(to router: Router<RelayRequestContext>) {
        router.get("/healthz") { _, _ -> Response in
            do {
                try await service.checkDatabase()
            } catch {
                throw APIError(.serviceUnavailable, "Database unavailable")
            }
            return .json(["status": "ok"])
        }
        router.get("/readyz") { _, _ -> Response in
            let writable: Bool
            do {
                writable = try await service.checkWritable()
            } catch {
                throw APIError(.serviceUnavailable, "Database unavailable")
            }
            guard writable else { throw APIError(.serviceUnavailable, "Database is read-only (a standby or a read-only session)") }
            return .json(["status": "ok"])
        }
    }
}
