import Hummingbird
import MsgLib

/// `GET /healthz`: 200 `{"status":"ok"}` when the database answers, 503 otherwise.
struct HealthController {
    let pool: DatabasePool

    func addRoutes(to router: Router<RelayRequestContext>) {
        router.get("/healthz") { _, _ -> Response in
            do {
                _ = try await pool.withConnection { db in try db.query("SELECT 1") }
            } catch {
                throw APIError(.serviceUnavailable, "Database unavailable")
            }
            return .json(["status": "ok"])
        }
    }
}
