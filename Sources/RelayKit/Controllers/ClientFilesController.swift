import HTTPTypes
import Hummingbird
import MsgLib
import NIOCore
import WebClient

/// The browser client's files: `/client/msgrelay.js`, `/client/msgrelay.d.ts` and `/client/sw.js` always (any site may
/// import them: `Access-Control-Allow-Origin: *`), and with `MSGRELAY_DEMO=1` the demo chat page under `/client/demo/`.
/// Each answer carries a strong ETag (a digest of the file) and is answered 304 to a matching `If-None-Match`.
struct ClientFilesController {
    /// A file ready to serve.
    struct Served: Sendable {
        let body: ByteBuffer
        let headers: HTTPFields
        let etag: String

        init(_ file: WebClientFiles.File, cacheControl: String, extra: HTTPFields = [:]) {
            body = ByteBuffer(bytes: file.bytes)
            etag = "\"" + Hex.lowercase(LibCrypto.sha256(file.bytes).prefix(16)) + "\""
            var headers = extra
            headers[.contentType] = file.contentType
            headers[.eTag] = etag
            headers[.cacheControl] = cacheControl
            headers[.xContentTypeOptions] = "nosniff"
            self.headers = headers
        }

        func response(to request: Request) -> Response {
            if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingOptionalWhiteSpace == etag }) {
                return Response(status: .notModified, headers: headers.removing(.contentType))
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
        }
    }

    /// The content security policy of the demo's page: its own scripts, styles and relay only.
    static let demoPolicy =
        "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    let files: [String: Served]
    let demo: [String: Served]?

    init(demo: Bool) {
        // The module is revalidated every hour; the service worker and the demo at every load, so a new relay's copy
        // is taken at once.
        var files: [String: Served] = [:]
        for (name, file) in WebClientFiles.client {
            files[name] = Served(
                file, cacheControl: name == "sw.js" ? "no-cache" : "public, max-age=3600", extra: [.accessControlAllowOrigin: "*"])
        }
        self.files = files
        self.demo =
            demo
            ? WebClientFiles.demo.mapValues { Served($0, cacheControl: "no-cache", extra: [.contentSecurityPolicy: Self.demoPolicy]) } : nil
    }

    func addRoutes(to router: Router<RelayRequestContext>) {
        for (name, served) in files {
            router.get("/client/\(name)") { request, _ in served.response(to: request) }
        }
        guard let demo else { return }
        // The router sees `/client/demo` and `/client/demo/` as one path: the page needs the slash (its files are
        // relative to it).
        let index = demo["index.html"]
        router.get("/client/demo") { request, _ in
            guard request.uri.path.hasSuffix("/"), let index else {
                return Response(status: .movedPermanently, headers: [.location: "/client/demo/"])
            }
            return index.response(to: request)
        }
        for (name, served) in demo {
            router.get("/client/demo/\(name)") { request, _ in served.response(to: request) }
        }
    }
}

extension HTTPFields {
    fileprivate func removing(_ name: HTTPField.Name) -> HTTPFields {
        var copy = self
        copy[name] = nil
        return copy
    }
}
