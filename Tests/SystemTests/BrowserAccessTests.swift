import Foundation
import MsgLib
import TestSupport
import Testing

/// What a browser meets: CORS on the REST API for ALLOWED_ORIGINS only, and the client's files under /client/.
@Suite(.needsProcesses, .processSlot) struct BrowserAccessTests {
    static let good = "http://127.0.0.1:8123"

    @Test func corsAnswersAllowedOriginsOnly() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["ALLOWED_ORIGINS": "\(Self.good), https://www.example.com"])
        let alice = relay.token(f.alice)
        let preflight = { (origin: String, path: String) in
            try await relay.request(
                "OPTIONS", path,
                headers: ["Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"])
        }

        let allowed = try await preflight(Self.good, "/api/messages")
        #expect(allowed.status == 204)
        #expect(allowed.headers["access-control-allow-origin"] == Self.good)
        #expect(allowed.headers["access-control-allow-methods"]?.contains("POST") == true)
        #expect(allowed.headers["access-control-allow-headers"] == "Authorization, Content-Type, Idempotency-Key")
        #expect(allowed.headers["access-control-allow-credentials"] == nil)
        #expect(allowed.headers["vary"]?.contains("Origin") == true)
        // Any API path, even one without a route, is answered before routing; other origins are refused.
        #expect((try await preflight("https://www.example.com", "/api/conversations/x/messages")).status == 204)
        for origin in [
            "http://evil.example", "null", "HTTP://127.0.0.1:8123", "\(Self.good)/", "http://127.0.0.1:8124", "https://www.example.com.evil",
        ] {
            let refused = try await preflight(origin, "/api/messages")
            #expect(refused.status == 403 && refused.error == "Origin not allowed", "origin \(origin)")
            #expect(refused.headers["access-control-allow-origin"] == nil)
        }

        // Requests: the allowed origin may read the answer (errors included, with Retry-After readable); others get no
        // CORS headers, and the answer still says it varies by Origin.
        let sent = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "from a page"], headers: ["Origin": Self.good])
        #expect(sent.status == 201 && sent.headers["access-control-allow-origin"] == Self.good)
        #expect(sent.headers["access-control-expose-headers"]?.contains("Retry-After") == true)
        let unauthorized = try await relay.request("GET", "/api/conversations", headers: ["Origin": Self.good])
        #expect(unauthorized.status == 401 && unauthorized.headers["access-control-allow-origin"] == Self.good)
        let other = try await relay.request("GET", "/api/conversations", token: alice, headers: ["Origin": "http://evil.example"])
        #expect(other.status == 200 && other.headers["access-control-allow-origin"] == nil && other.headers["vary"]?.contains("Origin") == true)
        // Only the API: probes and Slack's endpoints are not for pages.
        #expect((try await relay.request("GET", "/healthz", headers: ["Origin": Self.good])).headers["access-control-allow-origin"] == nil)
        #expect(
            (try await relay.request("OPTIONS", "/healthz", headers: ["Origin": Self.good, "Access-Control-Request-Method": "GET"])).status != 204)
    }

    /// A page on another origin uploads to the local store's URL and downloads from it: the preflight and the answers
    /// carry CORS headers for ALLOWED_ORIGINS there too.
    @Test func theLocalStoresURLsAnswerAllowedOrigins() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let (relay, _) = try await AttachmentFlowTests.relay(database, ["ALLOWED_ORIGINS": Self.good])
        let alice = relay.token(f.alice)
        let created = try await AttachmentFlowTests.create(relay, alice, "notes.txt", "text/plain", 6)
        let url = try #require(created.object.string("upload.url"))
        let preflight = try await relay.request(
            "OPTIONS", url, headers: ["Origin": Self.good, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"])
        #expect(preflight.status == 204)
        #expect(preflight.headers["access-control-allow-origin"] == Self.good)
        #expect(preflight.headers["access-control-allow-methods"]?.contains("PUT") == true)
        #expect(preflight.headers["access-control-allow-headers"]?.lowercased().contains("content-type") == true)
        let put = try await relay.request("PUT", url, body: Data("hello\n".utf8), headers: ["Content-Type": "text/plain", "Origin": Self.good])
        #expect(put.status == 204 && put.headers["access-control-allow-origin"] == Self.good, "\(put.text)")
        let evil = try await relay.request(
            "OPTIONS", url, headers: ["Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"])
        #expect(evil.status == 403 && evil.headers["access-control-allow-origin"] == nil)
        let id = try #require(created.object.string("id"))
        let sent = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "", "attachment_ids": [id]])
        #expect(sent.status == 201, "\(sent.text)")
        let got = try await relay.request("GET", "/api/attachments/\(id)", token: alice, headers: ["Origin": Self.good])
        #expect(got.status == 200 && got.text == "hello\n" && got.headers["access-control-allow-origin"] == Self.good)
        try await relay.stop()
    }

    @Test func withoutAllowedOriginsThereIsNoCORS() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["ALLOWED_ORIGINS": nil])
        let preflight = try await relay.request("OPTIONS", "/api/messages", headers: ["Origin": Self.good, "Access-Control-Request-Method": "POST"])
        #expect(preflight.status != 204 && preflight.headers["access-control-allow-origin"] == nil)
        let list = try await relay.request("GET", "/api/conversations", token: relay.token(f.alice), headers: ["Origin": Self.good])
        #expect(list.status == 200 && list.headers["access-control-allow-origin"] == nil)
    }

    @Test func clientFilesAreServedWithStrongETags() async throws {
        let database = try await TestDatabase.create()
        let relay = try await TestRelay(database: database, environment: ["MSGRELAY_DEMO": nil])
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for (name, type) in [("msgrelay.js", "text/javascript"), ("msgrelay.d.ts", "text/plain"), ("sw.js", "text/javascript")] {
            let file = try await relay.request("GET", "/client/\(name)")
            #expect(file.status == 200, "\(name)")
            #expect(file.body == (try Data(contentsOf: root.appendingPathComponent("clients/web/\(name)"))), "\(name) as in clients/web")
            #expect(file.headers["content-type"]?.hasPrefix(type) == true)
            #expect(file.headers["access-control-allow-origin"] == "*" && file.headers["x-content-type-options"] == "nosniff")
            let etag = try #require(file.headers["etag"])
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && !etag.hasPrefix("W/"))
            #expect(file.headers["cache-control"] == (name == "sw.js" ? "no-cache" : "public, max-age=3600"))
            let again = try await relay.request("GET", "/client/\(name)", headers: ["If-None-Match": "\"other\", \(etag)"])
            #expect(again.status == 304 && again.body.isEmpty)
            #expect((try await relay.request("GET", "/client/\(name)", headers: ["If-None-Match": "\"other\""])).status == 200)
        }
        // Nothing else is served from there, and the demo only when asked for.
        for path in ["/client/", "/client/../Package.swift", "/client/demo/", "/client/demo/demo.js", "/client/test/placeholder.mjs"] {
            #expect((try await relay.request("GET", path)).status == 404, "\(path)")
        }
    }

    @Test func theDemoIsServedWhenAskedFor() async throws {
        let database = try await TestDatabase.create()
        let relay = try await TestRelay(database: database, environment: ["MSGRELAY_DEMO": "1"])
        let page = try await relay.request("GET", "/client/demo/")
        #expect(page.status == 200 && page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.headers["content-security-policy"]?.contains("default-src 'self'") == true)
        #expect((try await relay.request("GET", "/client/demo/demo.js")).status == 200)
        #expect((try await relay.request("GET", "/client/demo/demo.css")).headers["content-type"] == "text/css; charset=utf-8")
        // Without the slash, the page's relative files would not resolve: redirected.
        let connection = try RawHTTPConnection(port: relay.port)
        connection.send("GET /client/demo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let redirect = try #require(connection.readResponse())
        #expect(redirect.status == 301 && redirect.headers["location"] == "/client/demo/")
    }

    @Test func aBadDemoSettingStopsTheRelay() async throws {
        let database = try await TestDatabase.create()
        await #expect(throws: (any Error).self) { _ = try await TestRelay(database: database, environment: ["MSGRELAY_DEMO": "yes"]) }
    }
}
