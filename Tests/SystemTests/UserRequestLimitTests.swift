import Foundation
import MsgLib
import TestSupport
import Testing

/// A user's REST requests under way at once are limited (HTTP_MAX_REQUESTS_PER_USER): one account cannot take the
/// database pool with requests it multiplies.
@Suite(.needsProcesses, .processSlot) struct UserRequestLimitTests {
    func get(_ path: String, token: String) -> [UInt8] {
        Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8)
    }

    @Test func aUsersRequestsUnderWayAreLimited() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let relay = try await TestRelay(database: database, environment: ["HTTP_MAX_REQUESTS_PER_USER": "1"])
        let token = relay.token(f.alice)
        // A request held up by the database.
        let blocker = try database.connect()
        try blocker.execute("BEGIN; LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE")
        let held = try RawHTTPConnection(port: relay.port)
        held.send(get("/api/conversations", token: token))
        // Its own wait (the listing's count of the user's conversations), not one of the relay's background readers'.
        try await waitFor("the request to wait for the table") {
            try db.scalar(
                """
                SELECT count(*) FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND datname = current_database()
                  AND query ILIKE 'SELECT count(*) FROM conversations c WHERE c.user_id = %'
                """, as: Int.self) >= 1
        }
        let refused = try await relay.request("GET", "/api/conversations", token: token)
        #expect(refused.status == 429 && refused.headers["retry-after"] == "1", "\(refused.status)")
        try blocker.execute("ROLLBACK")
        #expect(try await onOwnThread { held.readResponse(timeout: 20) }?.status == 200)
        #expect(try await relay.request("GET", "/api/conversations", token: token).status == 200)
        // Others are not held up by alice's requests; admins are not counted.
        #expect(try await relay.request("GET", "/api/conversations", token: relay.token(f.bob)).status == 200)
        #expect(try await relay.request("GET", "/api/conversations", token: relay.token(f.admin)).status == 200)
        // Bulk reads name as many ids as a mark_read frame at most.
        let ids = (0...ClientFrame.markReadLimit).map { _ in UUID().uuidString.lowercased() }
        let tooMany = try await relay.request(
            "PATCH", "/api/messages/bulk-read", token: relay.token(f.bob),
            json: ["conversation_id": conversation.id.lowercasedString, "message_ids": ids])
        #expect(tooMany.status == 400 && (tooMany.object["error"] as? String)?.contains("at most 1000") == true)
        try await relay.stop()
    }

    /// A relay letting a user have 2 requests under way, and alice's token and file of 32 MiB (far more than the
    /// loopback's socket buffers hold), sent in a message.
    func relayWithABigFile() async throws -> (relay: TestRelay, f: Fixtures, token: String, id: String) {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let (relay, _) = try await AttachmentFlowTests.relay(
            database, ["HTTP_MAX_REQUESTS_PER_USER": "2", "ATTACHMENT_MAX_BYTES": "\(40 << 20)"])
        let token = relay.token(f.alice)
        let id = try await AttachmentFlowTests.upload(relay, token, "big.txt", "text/plain", Data(repeating: 0x61, count: 32 << 20))
        #expect(try await relay.request("POST", "/api/messages", token: token, json: ["content": "", "attachment_ids": [id]]).status == 201)
        return (relay, f, token, id)
    }

    /// A file download counts among the user's requests until its body is sent: downloads the client does not read
    /// hold their places (a user cannot hold the relay's files and connections beyond the limit), and give them back
    /// when their connection goes.
    @Test func downloadsCountUntilTheyAreSent() async throws {
        let (relay, f, token, id) = try await relayWithABigFile()

        var downloads: [RawHTTPConnection] = []
        for _ in 0..<2 {
            let connection = try RawHTTPConnection(port: relay.port)
            #expect(connection.send(get("/api/attachments/\(id)", token: token)))
            #expect(try await onOwnThread { connection.waitForData(timeout: 20) }, "the download began")
            downloads.append(connection)
        }
        // Both are under way, unread: alice has no place left.
        let refused = try await relay.request("GET", "/api/conversations", token: token)
        #expect(refused.status == 429 && refused.headers["retry-after"] == "1", "\(refused.status)")
        // Others are not held up; one download gone, its place is free again.
        #expect(try await relay.request("GET", "/api/conversations", token: relay.token(f.bob)).status == 200)
        downloads.removeFirst()
        try await waitFor("the closed download's place given back", timeout: 20) {
            try await relay.request("GET", "/api/conversations", token: token).status == 200
        }
        #expect(try await relay.request("GET", "/api/conversations", token: token).status == 200)
        downloads.removeAll()
        try await relay.stop()
    }

    /// The path and query of a URL the relay made (the local store's signed URLs).
    func pathAndQuery(_ url: String) throws -> String {
        let components = try #require(URLComponents(string: url))
        return components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? "")
    }

    /// The local store's signed URLs carry no token, yet count for the user they were made for: a download until its
    /// file is sent. An admin's are not counted.
    @Test func signedDownloadsCountForTheirUser() async throws {
        let (relay, f, token, id) = try await relayWithABigFile()
        func signedURL(_ token: String) async throws -> String {
            let answer = try await relay.request("GET", "/api/attachments/\(id)/url", token: token)
            #expect(answer.status == 200, "\(answer.text)")
            return try pathAndQuery(try #require(answer.object.string("url")))
        }
        let download = try await signedURL(token)
        #expect(download.contains("user=\(f.alice.id.lowercasedString)"))

        var downloads: [RawHTTPConnection] = []
        for _ in 0..<2 {
            let connection = try RawHTTPConnection(port: relay.port)
            #expect(connection.send("GET \(download) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
            #expect(try await onOwnThread { connection.waitForData(timeout: 20) }, "the download began")
            downloads.append(connection)
        }
        // Both unread: alice has no place left, through the API or another signed URL.
        let refused = try await relay.request("GET", "/api/conversations", token: token)
        #expect(refused.status == 429 && refused.headers["retry-after"] == "1", "\(refused.status)")
        #expect(try await relay.request("GET", download).status == 429)
        // An admin's URL names no one, and is served.
        let adminURL = try await signedURL(relay.token(f.admin))
        #expect(!adminURL.contains("user="))
        let adminDownload = try await relay.request("GET", adminURL)
        #expect(adminDownload.status == 200 && adminDownload.body.count == 32 << 20)
        downloads.removeAll()
        try await waitFor("the closed downloads' places given back", timeout: 20) {
            try await relay.request("GET", "/api/conversations", token: token).status == 200
        }
        try await relay.stop()
    }

    /// An upload through its signed URL counts for its user until it is answered.
    @Test func signedUploadsCountUntilAnswered() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let (relay, folder) = try await AttachmentFlowTests.relay(database, ["HTTP_MAX_REQUESTS_PER_USER": "2"])
        let token = relay.token(f.alice)
        // Two uploads whose bodies have not all come hold both places.
        var uploads: [RawHTTPConnection] = []
        for n in 0..<2 {
            let created = try await AttachmentFlowTests.create(relay, token, "part\(n).txt", "text/plain", 1000)
            #expect(created.status == 201, "\(created.text)")
            let url = try pathAndQuery(try #require(created.object.string("upload.url")))
            let connection = try RawHTTPConnection(port: relay.port)
            #expect(
                connection.send(
                    "PUT \(url) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"
                        + String(repeating: "x", count: 10)))
            uploads.append(connection)
        }
        // Both are receiving (each has its file begun, after taking its place) before anything else is asked: a request
        // racing the second upload's arrival would take the place it needs.
        try await waitFor("both uploads receiving", timeout: 20) {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/tmp")) ?? []).count == 2
        }
        #expect(try await relay.request("GET", "/api/conversations", token: token).status == 429)
        #expect(try await relay.request("GET", "/api/conversations", token: relay.token(f.bob)).status == 200)
        // One finished: its place is free again.
        let finished = uploads[0]
        #expect(finished.send(String(repeating: "x", count: 990)))
        #expect(try await onOwnThread { finished.readResponse(timeout: 20) }?.status == 204)
        #expect(try await relay.request("GET", "/api/conversations", token: token).status == 200)
        uploads.removeAll()
        try await relay.stop()
    }
}
