import Foundation
import MsgLib
import TestSupport
import Testing

/// Attachments end to end through msgrelay with `ATTACHMENT_STORE=s3://...` on moto: declared, uploaded with the
/// presigned URL by a plain HTTP client, checked against the bucket when sent, downloaded through the relay's redirect.
@Suite(.needsProcesses, .processSlot) struct S3AttachmentFlowTests {
    static let bucket = "msg-files"
    /// Does not follow redirects: the relay's answer is looked at, then its Location fetched.
    static let http = HTTPClient(configuration: .init(allowInsecure: true, maxResponseBodyBytes: 4 * 1024 * 1024))

    /// A relay storing in moto's bucket (or through `endpoint`), on a new database with the fixtures' users.
    struct Setup {
        var moto: MotoServer
        var database: TestDatabase
        var users: Fixtures
        var relay: TestRelay
    }

    /// Runs `body` with moto (its bucket created) and a relay on it with `extra` settings; `gated` puts a
    /// ``PresignGate`` between them.
    static func withRelay(_ extra: [String: String?] = [:], gated: Bool = false, _ body: (Setup) async throws -> Void) async throws {
        try await MotoServer.with(bucket: bucket) { moto in
            let gate = gated ? try await PresignGate.start(before: moto) : nil
            defer { gate?.stop() }
            let database = try await TestDatabase.create()
            let users = try Fixtures.make(try database.connect())
            var environment: [String: String?] = moto.storeEnvironment(bucket: bucket, endpoint: gate?.endpoint)
            environment.merge(["AWS_SESSION_TOKEN": nil, "MESSAGE_RATE_LIMIT_PER_MINUTE": "0"].merging(extra) { $1 }) { $1 }
            let relay = try await TestRelay(database: database, environment: environment)
            try await body(Setup(moto: moto, database: database, users: users, relay: relay))
        }
    }

    /// An upload: the attachment's id and the object's key in the bucket.
    struct Uploaded {
        var id: String
        var key: String
    }

    /// Declares a file, uploads `body` with the answer's URL and headers (plus `extra` ones).
    static func upload(
        _ relay: TestRelay, token: String, filename: String, contentType: String, declaredSize: Int? = nil, body: [UInt8],
        extra: [String: String] = [:]
    ) async throws -> Uploaded {
        let created = try await relay.request(
            "POST", "/api/attachments", token: token, json: ["filename": filename, "content_type": contentType, "size": declaredSize ?? body.count])
        try #require(created.status == 201, "\(created.text)")
        let id = try #require(created.object.string("id"))
        let url = try #require(created.object.string("upload.url"))
        let headers = ((created.object[path: "upload.headers"] as? [String: String]) ?? [:]).merging(extra) { $1 }
        #expect(created.object.string("upload.method") == "PUT" && headers["Content-Type"] != nil)
        let put = try await http.send(
            HTTPClient.Request(url: url, method: .put, headers: headers.map { (name: $0.key, value: $0.value) }, body: body, timeout: .seconds(20)))
        #expect(put.status == 200, "\(put.status) \(put.bodyText)")
        let path = String(url.prefix { $0 != "?" })
        return Uploaded(id: id, key: String(try #require(path.components(separatedBy: "/relay/").last)))
    }

    /// msgctl with the same S3 settings as the relay.
    static func msgctl(_ arguments: [String], _ setup: Setup) async throws -> ProcessResult {
        var environment: [String: String?] = setup.moto.storeEnvironment(bucket: bucket)
        environment.merge(["DATABASE_URL": setup.database.conninfo, "AWS_SESSION_TOKEN": nil, "JWT_SECRET": TestRelay.secret]) { $1 }
        return try await ProcessRunner.runDetached(TestEnvironment.binary("msgctl"), arguments, environment: environment, timeout: 60)
    }

    /// GET /api/attachments/ID without following the redirect.
    static func download(_ relay: TestRelay, token: String, id: String) async throws -> HTTPClient.Response {
        try await http.send(
            HTTPClient.Request(
                url: "\(relay.baseURL.absoluteString)/api/attachments/\(id)", method: .get, headers: [("Authorization", "Bearer \(token)")],
                timeout: .seconds(20)))
    }

    static let png = SampleFiles.png(width: 512, height: 300, padding: 5000)

    @Test func createUploadSendDownload() async throws {
        try await Self.withRelay { setup in
            let (moto, relay, f) = (setup.moto, setup.relay, setup.users)
            let (alice, bob, admin) = (relay.token(f.alice), relay.token(f.bob), relay.token(f.admin))

            let image = try await Self.upload(relay, token: alice, filename: "cat photo.png", contentType: "image/png", body: Self.png).id
            let text = Array("notes\n".utf8)
            let note = try await Self.upload(relay, token: alice, filename: "notes.txt", contentType: "text/plain", body: text).id
            let sent = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "", "attachment_ids": [image, note]])
            try #require(sent.status == 201, "\(sent.text)")
            let attachments = sent.object.array("attachments")
            #expect(attachments.count == 2)
            #expect(attachments.first?["id"] as? String == image && attachments.first?["width"] as? Int == 512)
            #expect(attachments.first?["height"] as? Int == 300 && attachments.first?["size"] as? Int == Self.png.count)
            #expect(attachments.last?["content_type"] as? String == "text/plain")

            // Alice and an admin are redirected to a presigned GET that serves the bytes, named and typed.
            for token in [alice, admin] {
                let redirect = try await Self.download(relay, token: token, id: image)
                #expect(redirect.status == 302 && redirect.header("X-Content-Type-Options") == "nosniff")
                let location = try #require(redirect.header("Location"))
                #expect(location.hasPrefix("\(moto.endpoint)/\(Self.bucket)/relay/") && location.contains("X-Amz-Signature="))
                let file = try await Self.http.send(HTTPClient.Request(url: location, method: .get, timeout: .seconds(20)))
                #expect(file.status == 200 && file.body == Self.png)
                #expect(file.header("Content-Type") == "image/png" && file.header("Content-Disposition")?.hasPrefix("inline;") == true)
            }
            // Or the presigned URL itself, for a page on another origin to fetch.
            let signed = try await relay.request("GET", "/api/attachments/\(image)/url", token: alice)
            let url = try #require(signed.object.string("url"), "\(signed.text)")
            #expect(url.hasPrefix("\(moto.endpoint)/\(Self.bucket)/relay/") && url.contains("X-Amz-Signature="))
            let viaURL = try await Self.http.send(HTTPClient.Request(url: url, method: .get, timeout: .seconds(20)))
            #expect(viaURL.status == 200 && viaURL.body == Self.png)
            #expect((try await relay.request("GET", "/api/attachments/\(image)/url", token: bob)).status == 404)
            let noteFile = try await Self.download(relay, token: alice, id: note)
            let noteBody = try await Self.http.send(HTTPClient.Request(url: noteFile.header("Location") ?? "", method: .get, timeout: .seconds(20)))
            #expect(noteBody.body == text && noteBody.header("Content-Disposition")?.hasPrefix("attachment;") == true)

            // msgctl reads the file from the bucket in ranged pieces.
            let folder = try TestEnvironment.scratchFolder("s3-get")
            let out = folder.appendingPathComponent("cat.png").path
            let get = try await Self.msgctl(["attachments", "get", image, "-o", out], setup)
            #expect(get.status == 0, "\(get.stderr)")
            #expect(FileManager.default.contents(atPath: out).map(Array.init) == Self.png)

            // Bob is told it does not exist, as for an unknown id.
            let refused = try await Self.download(relay, token: bob, id: image)
            #expect(refused.status == 404 && refused.header("Location") == nil)
            #expect((try await Self.download(relay, token: bob, id: UUID().lowercasedString)).status == 404)
            // An attached file cannot be attached again.
            let again = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "x", "attachment_ids": [image]])
            #expect(again.status == 400 && again.error?.contains(image) == true)
        }
    }

    @Test func spoofedWrongAndMissingUploadsAreRefused() async throws {
        try await Self.withRelay { setup in
            let (relay, f) = (setup.relay, setup.users)
            let (alice, bob) = (relay.token(f.alice), relay.token(f.bob))

            func refusal(_ ids: [String], token: String? = nil) async throws -> String {
                let response = try await relay.request(
                    "POST", "/api/messages", token: token ?? alice, json: ["content": "see", "attachment_ids": ids])
                #expect(response.status == 400, "\(response.text)")
                return response.error ?? ""
            }
            // HTML declared and uploaded as a PNG: its first bytes say otherwise.
            let spoofed = try await Self.upload(
                relay, token: alice, filename: "x.png", contentType: "image/png", body: Array("<html><script>alert(1)</script>".utf8)
            ).id
            #expect(try await refusal([spoofed]).contains("is not a PNG image"))
            // Fewer bytes than declared (moto does not check the signed Content-Length; the relay does).
            let short = try await Self.upload(
                relay, token: alice, filename: "a.txt", contentType: "text/plain", declaredSize: 100, body: Array("abc".utf8)
            ).id
            #expect(try await refusal([short]).contains("is 3 bytes, not the 100 declared"))
            // Another type than declared (AWS refuses the signature; moto stores it, and the relay sees it).
            let retyped = try await Self.upload(
                relay, token: alice, filename: "b.png", contentType: "image/png", body: Self.png, extra: ["Content-Type": "text/html"]
            ).id
            #expect(try await refusal([retyped]).contains("was not uploaded as image/png"))
            // Declared, never uploaded.
            let created = try await relay.request(
                "POST", "/api/attachments", token: alice, json: ["filename": "c.txt", "content_type": "text/plain", "size": 4])
            let missing = try #require(created.object.string("id"))
            #expect(try await refusal([missing]).contains("has not been uploaded"))
            // Someone else's upload.
            let alices = try await Self.upload(relay, token: alice, filename: "d.txt", contentType: "text/plain", body: Array("mine".utf8)).id
            #expect(try await refusal([alices], token: bob).contains(alices))
            // Type and size refused before any URL is signed.
            let big = try await relay.request(
                "POST", "/api/attachments", token: alice, json: ["filename": "e.bin", "content_type": "text/plain", "size": 11 * 1024 * 1024])
            #expect(big.status == 413)
            let svg = try await relay.request(
                "POST", "/api/attachments", token: alice, json: ["filename": "f.svg", "content_type": "image/svg+xml", "size": 10])
            #expect(svg.status == 415)
        }
    }

    /// A store that does not answer costs the relay requests at each send that names a file: such sends count against
    /// the sender's message rate limit, as sends of a file not uploaded yet do, so repeating one is soon refused (429)
    /// before the store is asked again.
    @Test func sendsTheStoreCannotAnswerAreCharged() async throws {
        try await Self.withRelay(["MESSAGE_RATE_LIMIT_PER_MINUTE": "3"]) { setup in
            let (relay, f) = (setup.relay, setup.users)
            let alice = relay.token(f.alice)
            let created = try await relay.request(
                "POST", "/api/attachments", token: alice, json: ["filename": "c.txt", "content_type": "text/plain", "size": 4])
            let id = try #require(created.object.string("id"))
            setup.moto.stop()
            var statuses: [Int] = []
            for _ in 0..<5 {
                statuses.append(
                    try await relay.request("POST", "/api/messages", token: alice, json: ["content": "see", "attachment_ids": [id]]).status)
            }
            #expect(statuses.prefix(3).allSatisfy { $0 != 429 && $0 >= 400 } && statuses.suffix(2) == [429, 429], "\(statuses)")
        }
    }

    /// Behind a gate that checks presigned URLs as S3 does: a download URL that has expired, or an upload of another
    /// type than declared, is refused by the store.
    @Test func expiredAndMismatchedURLsAreRefusedByTheStore() async throws {
        try await Self.withRelay(["ATTACHMENT_DOWNLOAD_URL_SECONDS": "1"], gated: true) { setup in
            let (relay, f) = (setup.relay, setup.users)
            let alice = relay.token(f.alice)

            let created = try await relay.request(
                "POST", "/api/attachments", token: alice, json: ["filename": "a.txt", "content_type": "text/plain", "size": 2])
            let url = try #require(created.object.string("upload.url"))
            let html = try await Self.http.send(
                HTTPClient.Request(url: url, method: .put, headers: [("Content-Type", "text/html"), ("If-None-Match", "*")], body: Array("hi".utf8)))
            #expect(html.status == 403 && S3ErrorBody(html.body)?.code == "SignatureDoesNotMatch")

            let id = try await Self.upload(relay, token: alice, filename: "b.txt", contentType: "text/plain", body: Array("hi".utf8)).id
            #expect((try await relay.request("POST", "/api/messages", token: alice, json: ["content": "", "attachment_ids": [id]])).status == 201)
            let location = try #require(try await Self.download(relay, token: alice, id: id).header("Location"))
            try await waitFor("the 1 s download URL to expire", timeout: 30) {
                let answer = try await Self.http.send(HTTPClient.Request(url: location, method: .get, timeout: .seconds(10)))
                guard answer.status != 200 else { return false }
                #expect(answer.status == 403 && S3ErrorBody(answer.body)?.message == "Request has expired")
                return true
            }
        }
    }

    @Test func neverAttachedUploadsAreCollected() async throws {
        try await Self.withRelay([
            "ATTACHMENT_PENDING_SECONDS": "1", "ATTACHMENT_UPLOAD_URL_SECONDS": "5", "ATTACHMENT_COLLECT_INTERVAL_SECONDS": "1",
        ]) { setup in
            let (moto, relay, f, database) = (setup.moto, setup.relay, setup.users, setup.database)
            let alice = relay.token(f.alice)
            // Uploaded (200), then removed by the relay once the upload URL has expired: the row and the file.
            let upload = try await Self.upload(relay, token: alice, filename: "old.txt", contentType: "text/plain", body: Array("stale".utf8))
            let (id, key) = (upload.id, upload.key)
            let store = S3AttachmentStore(configuration: try S3StoreConfiguration.fromEnvironment(moto.storeEnvironment(bucket: Self.bucket)))
            let db = try database.connect()
            let uuid = try #require(UUID(uuidString: id))
            try await waitFor("the unattached upload to be removed from the bucket", timeout: 60) {
                try await store.inspect(key: key, prefixLength: 0) == nil
            }
            #expect(try db.scalar("SELECT count(*)::int FROM attachments WHERE id = $1 AND state = 'pending'", [uuid], as: Int32.self) == 0)
            let response = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "late", "attachment_ids": [id]])
            #expect(response.status == 400)
        }
    }
}
