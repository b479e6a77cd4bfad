import Hummingbird
import MsgLib

/// `GET /metrics` (Prometheus text) and `GET /api/openapi.json` (this API's OpenAPI 3.1 document).
struct OperationsController {
    let metrics: RelayMetrics

    /// The committed OpenAPI document, embedded in the binary at build time.
    static let openAPIDocument = String(decoding: PackageResources.openapi_json, as: UTF8.self)

    func addRoutes(to router: Router<RelayRequestContext>) {
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("/api/openapi.json") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: Self.openAPIDocument)))
        }
    }
}
