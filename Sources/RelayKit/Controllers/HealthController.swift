import Hummingbird
import MsgLib

/// `GET /healthz`: 200 `{"status":"ok"}` when the database answers, 503 otherwise.
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
    }
}
