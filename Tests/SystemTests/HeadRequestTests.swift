import Foundation
import MsgLib
import TestSupport
import Testing

/// HEAD is answered wherever GET is: the GET's status and headers (its length too), no body, and the connection goes on.
@Suite(.needsDatabase) struct HeadRequestTests {
    private func request(_ method: String, _ path: String, token: String? = nil) -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (token.map { "Authorization: Bearer \($0)\r\n" } ?? "") + "\r\n"
    }

    /// HEAD then GET of `path` on one connection: the HEAD's response, and the GET's.
    private func headThenGet(
        _ relay: TestRelay, _ path: String, token: String? = nil
    ) async throws -> (head: RawHTTPConnection.Response, get: RawHTTPConnection.Response) {
        let connection = try RawHTTPConnection(port: relay.port)
        #expect(connection.send(request("HEAD", path, token: token) + request("GET", path, token: token)))
        // Were a body sent after the HEAD's headers, the GET's answer would be read from it and fail to parse.
        let head = try await onOwnThread { connection.readResponse(toHead: true) }
        let get = try await onOwnThread { connection.readResponse() }
        return (try #require(head, "HEAD \(path) answered"), try #require(get, "GET \(path) answered after it"))
    }

    @Test func headAnswersAsGetWithoutTheBody() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let (relay, _) = try await AttachmentFlowTests.relay(database, ["HTTP_MAX_REQUESTS_PER_USER": "1"])
        let token = relay.token(f.alice)
        #expect(try await relay.request("POST", "/api/messages", token: token, json: ["content": "hello"]).status == 201)

        for (path, token) in [("/healthz", nil), ("/readyz", nil), ("/api/conversations", token), ("/api/openapi.json", nil)] {
            let (head, get) = try await headThenGet(relay, path, token: token)
            #expect(head.status == 200 && get.status == 200, "\(path): \(head.status), \(get.status)")
            #expect(head.headers["content-length"] == String(get.body.count), "\(path)")
            #expect(head.headers["content-type"] == get.headers["content-type"], "\(path)")
        }
        // Refused as GET is.
        let (refused, _) = try await headThenGet(relay, "/api/conversations")
        #expect(refused.status == 401)

        // A file from the local store: its length and type, and none of its bytes. Each HEAD gives its place back (one
        // each here): the GET after it is served.
        let file = Data((0..<300_000).map { UInt8($0 % 251) })
        let id = try await AttachmentFlowTests.upload(relay, token, "data.txt", "text/plain", file)
        #expect(try await relay.request("POST", "/api/messages", token: token, json: ["content": "", "attachment_ids": [id]]).status == 201)
        for _ in 0..<3 {
            let (head, get) = try await headThenGet(relay, "/api/attachments/\(id)", token: token)
            #expect(head.status == 200 && head.headers["content-length"] == String(file.count))
            #expect(head.headers["content-type"]?.hasPrefix("text/plain") == true)
            #expect(get.status == 200 && Data(get.body) == file)
        }
        try await relay.stop()
    }
}
