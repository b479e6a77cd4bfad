import Foundation
import MsgLib
import TestSupport
import Testing

/// Attachments end to end on the local store: a msgrelay process, PostgreSQL, plain HTTP and WebSocket clients.
@Suite(.needsProcesses, .processSlot) struct AttachmentFlowTests {
    /// A relay whose local store is a fresh folder; `environment` adds settings.
    static func relay(_ database: TestDatabase, _ environment: [String: String?] = [:]) async throws -> (TestRelay, String) {
        let folder = (ProcessInfo.processInfo.environment["MSGTEST_WORK_DIR"] ?? NSTemporaryDirectory()) + "/attachments-" + UUID().uuidString
        var env: [String: String?] = ["ATTACHMENT_STORE": "local:\(folder)", "MESSAGE_RATE_LIMIT_PER_MINUTE": "0"]
        for (key, value) in environment { env[key] = value }
        return (try await TestRelay(database: database, environment: env), folder)
    }

    /// The first bytes of a PNG image of `width` x `height`, padded with zeros to `size` bytes.
    static func png(width: UInt32, height: UInt32, size: Int) -> Data {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
        for value in [width, height] { bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        bytes += [8, 6, 0, 0, 0]
        return Data(bytes + [UInt8](repeating: 0, count: max(0, size - bytes.count)))
    }

    static let pdf = Data("%PDF-1.4\n%âãÏÓ\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".utf8)

    /// Declares an upload; returns the answer.
    static func create(_ relay: TestRelay, _ token: String, _ filename: String, _ type: String, _ size: Int) async throws -> HTTPResult {
        try await relay.request("POST", "/api/attachments", token: token, json: ["filename": filename, "content_type": type, "size": size])
    }

    /// Declares and uploads a file; returns its id.
    static func upload(_ relay: TestRelay, _ token: String, _ filename: String, _ type: String, _ data: Data) async throws -> String {
        let created = try await create(relay, token, filename, type, data.count)
        #expect(created.status == 201, "\(created.text)")
        let url = try #require(created.object.string("upload.url"))
        #expect(created.object.string("upload.method") == "PUT")
        let put = try await relay.request("PUT", url, body: data, headers: ["Content-Type": type])
        #expect(put.status == 204, "\(put.text)")
        return try #require(created.object.string("id"))
    }

    /// A file found unlike its declaration is refused for good: later sends with it are refused from the database,
    /// without asking the store again (here the file is gone from the store by then, and the answer is still the first).
    @Test func aFileUnlikeItsDeclarationIsRefusedWithoutAskingTheStoreAgain() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let (relay, folder) = try await Self.relay(database, ["ATTACHMENT_MAX_PENDING_PER_USER": "2"])
        let alice = relay.token(f.alice)
        let id = try await Self.upload(relay, alice, "photo.png", "image/png", Data(repeating: 0x41, count: 3000))
        func send() async throws -> HTTPResult {
            try await relay.request("POST", "/api/messages", token: alice, json: ["content": "", "attachment_ids": [id]])
        }
        let first = try await send()
        #expect(first.status == 400 && first.error == "Attachment \(id) is not a PNG image", "\(first.text)")
        let key = try db.scalar("SELECT store_key FROM attachments WHERE id = $1", [UUID(uuidString: id)!], as: String.self)
        try FileManager.default.removeItem(atPath: folder + "/files/" + key)
        let again = try await send()
        #expect(again.status == 400 && again.error == first.error, "\(again.text)")
        #expect(try db.scalar("SELECT refused FROM attachments WHERE id = $1", [UUID(uuidString: id)!], as: String.self) == first.error)
        // It can never be sent: its file is queued for removal, and it leaves room for another upload at once.
        #expect(try db.scalar("SELECT count(*) FROM attachment_garbage WHERE store_key = $1", [key], as: Int.self) == 1)
        #expect(try await Self.create(relay, alice, "other.txt", "text/plain", 10).status == 201)
        // A file not uploaded yet is not refused for good: it may come.
        let created = try await Self.create(relay, alice, "later.png", "image/png", 100)
        let later = try #require(created.object.string("id"))
        let early = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "", "attachment_ids": [later]])
        #expect(early.status == 400 && early.error == "Attachment \(later) has not been uploaded")
        #expect(try db.scalar("SELECT refused IS NULL FROM attachments WHERE id = $1", [UUID(uuidString: later)!], as: Bool.self))
        try await relay.stop()
    }

    /// A file the local store cannot open (here a link to itself: too many levels of links, as an I/O or permission
    /// error would be) is the store's failure, answered 500 and logged, not "has not been uploaded".
    @Test func aFileTheStoreCannotOpenIsNotTakenForMissing() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let (relay, folder) = try await Self.relay(database)
        let alice = relay.token(f.alice)
        let id = try await Self.upload(relay, alice, "note.txt", "text/plain", Data("hello".utf8))
        let key = try db.scalar("SELECT store_key FROM attachments WHERE id = $1", [UUID(uuidString: id)!], as: String.self)
        let path = folder + "/files/" + key
        try FileManager.default.removeItem(atPath: path)
        #expect(symlink(path, path) == 0)
        let send = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "", "attachment_ids": [id]])
        #expect(send.status == 500 && send.error?.contains("has not been uploaded") != true, "\(send.text)")
        #expect(try db.scalar("SELECT refused IS NULL FROM attachments WHERE id = $1", [UUID(uuidString: id)!], as: Bool.self))
        try FileManager.default.removeItem(atPath: path)
        try await relay.stop()
    }

    @Test func uploadSendDownload() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let (relay, _) = try await Self.relay(database)
        let (alice, bob, admin) = (relay.token(f.alice), relay.token(f.bob), relay.token(f.admin))

        let image = Self.png(width: 640, height: 480, size: 4000)
        let created = try await Self.create(relay, alice, "../../etc/cat\u{202E}gnp.png", "image/png", image.count)
        #expect(created.status == 201)
        #expect(Set(created.object.keys) == ["id", "upload", "expires_at"])
        #expect((created.object[path: "upload.headers"] as? [String: String])?["Content-Type"] == "image/png")
        let url = try #require(created.object.string("upload.url"))
        #expect(url.hasPrefix("/attachments/local/"))
        let imageId = try #require(created.object.string("id"))

        // A forged signature, a changed size, another type, and a body longer than declared are refused.
        let forged = url.replacingOccurrences(of: "sig=", with: "sig=AA")
        #expect((try await relay.request("PUT", forged, body: image, headers: ["Content-Type": "image/png"])).status == 403)
        let otherSize = url.replacingOccurrences(of: "size=\(image.count)", with: "size=\(image.count + 1)")
        #expect((try await relay.request("PUT", otherSize, body: image + Data([0]), headers: ["Content-Type": "image/png"])).status == 403)
        let wrongType = try await relay.request("PUT", url, body: image, headers: ["Content-Type": "text/html"])
        #expect(wrongType.status == 415 && wrongType.error == "Content-Type must be image/png, as declared")
        let tooLong = try await relay.request("PUT", url, body: image + Data([1, 2, 3]), headers: ["Content-Type": "image/png"])
        #expect(tooLong.status == 413 || tooLong.status == 400)
        // Sending before the upload: refused, naming the id.
        let early = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "", "attachment_ids": [imageId]])
        #expect(early.status == 400 && early.error == "Attachment \(imageId) has not been uploaded")

        #expect((try await relay.request("PUT", url, body: image, headers: ["Content-Type": "image/png"])).status == 204)
        // An upload URL is used once.
        #expect((try await relay.request("PUT", url, body: image, headers: ["Content-Type": "image/png"])).status == 409)
        let pdfId = try await Self.upload(relay, alice, "report.pdf", "application/pdf", Self.pdf)

        // Someone else's upload is refused, naming it.
        let stolen = try await relay.request("POST", "/api/messages", token: bob, json: ["content": "mine", "attachment_ids": [imageId]])
        #expect(stolen.status == 400 && stolen.error == "Attachment \(imageId) is not an upload of yours waiting to be sent")

        // Alice's socket and the admin's get the message with its files.
        let adminSocket = try relay.socket(f.admin)
        _ = try await adminSocket.next(type: "connected")
        let sent = try await relay.request(
            "POST", "/api/messages", token: alice, json: ["content": "", "attachment_ids": [imageId, pdfId]])
        #expect(sent.status == 201, "\(sent.text)")
        let files = sent.object.array("attachments")
        #expect(files.count == 2)
        #expect(files.first?["filename"] as? String == "catgnp.png")
        #expect(files.first?["width"] as? Int == 640 && files.first?["height"] as? Int == 480)
        #expect(files.last?["content_type"] as? String == "application/pdf" && files.last?["width"] is NSNull)
        let frame = try await adminSocket.next(type: "message")
        #expect((frame.data["attachments"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [imageId, pdfId])
        #expect(frame.data["content"] as? String == "")

        // Attached once only.
        let again = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "again", "attachment_ids": [pdfId]])
        #expect(again.status == 400)

        // Listing carries them; messages without files carry an empty list.
        let conversation = try #require(sent.object.string("conversation_id"))
        _ = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "plain"])
        let list = try await relay.request("GET", "/api/conversations/\(conversation)/messages", token: admin)
        #expect(list.object.array("messages").map { ($0["attachments"] as? [Any])?.count ?? -1 } == [2, 0])

        // Download: the user and the admin; others are told it does not exist.
        let download = try await relay.request("GET", "/api/attachments/\(imageId)", token: alice)
        #expect(download.status == 200 && download.body == image)
        #expect(download.headers["content-type"] == "image/png")
        #expect(download.headers["x-content-type-options"] == "nosniff")
        #expect(download.headers["content-disposition"] == "inline; filename=\"catgnp.png\"")
        let pdfDownload = try await relay.request("GET", "/api/attachments/\(pdfId)", token: admin)
        #expect(pdfDownload.status == 200 && pdfDownload.body == Self.pdf)
        #expect(pdfDownload.headers["content-disposition"] == "attachment; filename=\"report.pdf\"")
        let refused = try await relay.request("GET", "/api/attachments/\(imageId)", token: bob)
        #expect(refused.status == 404 && refused.error == "Attachment not found")
        // Or its short-lived URL, for a page to fetch itself (no bearer token: the signature is the permission).
        let signed = try await relay.request("GET", "/api/attachments/\(imageId)/url", token: alice)
        #expect(signed.status == 200 && signed.headers["cache-control"] == "no-store", "\(signed.text)")
        let path = try #require(signed.object.string("url"))
        #expect(path.hasPrefix("/attachments/local/") && signed.object.string("expires_at") != nil)
        let fetched = try await relay.request("GET", path)
        #expect(fetched.status == 200 && fetched.body == image && fetched.headers["content-type"] == "image/png")
        #expect((try await relay.request("GET", "/api/attachments/\(imageId)/url", token: bob)).status == 404)
        #expect((try await relay.request("GET", "/api/attachments/\(imageId)/url")).status == 401)
        #expect((try await relay.request("GET", "/api/attachments/\(UUID().lowercasedString)", token: alice)).status == 404)
        #expect([400, 404].contains((try await relay.request("GET", "/api/attachments/..%2F..%2Fetc", token: alice)).status))
        #expect((try await relay.request("GET", "/api/attachments/\(imageId)")).status == 401)

        // A deleted message hides its files.
        let messageId = try #require(sent.object.string("id"))
        #expect((try await relay.request("DELETE", "/api/messages/\(messageId)", token: alice)).status == 204)
        #expect((try await relay.request("GET", "/api/attachments/\(imageId)", token: admin)).status == 404)
        try await relay.stop()
    }

    /// A chunked upload (no Content-Length) is cut off as it grows past its declared size, a malformed one is refused,
    /// and neither leaves a file.
    @Test func chunkedUploadsAreHeldToTheirDeclaredSize() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let (relay, folder) = try await Self.relay(database)
        let alice = relay.token(f.alice)
        let size = 3000
        func put(_ chunks: [String]) async throws -> RawHTTPConnection.Response? {
            let created = try await Self.create(relay, alice, "cat.png", "image/png", size)
            let url = try #require(created.object.string("upload.url"))
            let port = relay.port
            return try await onOwnThread {
                let connection = try RawHTTPConnection(port: port)
                _ = connection.send("PUT \(url) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n")
                for chunk in chunks { _ = connection.send(chunk) }
                return connection.readResponse()
            }
        }
        func chunk(_ data: Data) -> String { String(data.count, radix: 16) + "\r\n" + String(decoding: data, as: UTF8.self) + "\r\n" }
        // The bytes are checked as an image only when sent: letters of the declared size do here.
        let ascii = Data(repeating: 0x41, count: size)
        let tooLong = try await put([chunk(ascii), chunk(Data("xyz".utf8)), "0\r\n\r\n"])
        #expect(tooLong?.status == 413, "\(String(describing: tooLong))")
        let malformed = try await put([chunk(ascii.prefix(100)), "zz\r\nnot a chunk\r\n"])
        #expect(malformed?.status == 400, "\(String(describing: malformed))")
        try await waitFor("no partial upload left") { ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/tmp")) ?? ["?"]).isEmpty }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder + "/files")) ?? ["?"]).isEmpty)
        #expect(relay.process.isRunning)
        try await relay.stop()
    }

    /// An upload URL used already, or in use by another request, is refused before the body is read: the same URL
    /// cannot make the relay write a file again and again.
    @Test func aSecondUploadThroughOneURLIsRefusedBeforeItsBody() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let (relay, folder) = try await Self.relay(database)
        let alice = relay.token(f.alice)
        let size = 4 << 20
        let created = try await Self.create(relay, alice, "big.pdf", "application/pdf", size)
        let url = try #require(created.object.string("upload.url"))
        let port = relay.port
        let head = "PUT \(url) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/pdf\r\nContent-Length: \(size)\r\n\r\n"
        // One request sending the body, slowly: the second is refused at once, without its body.
        let first = try RawHTTPConnection(port: port)
        first.send(head)
        first.send(Array(Self.pdf))
        let part = 1 << 20
        first.send([UInt8](repeating: 0x20, count: part))
        // (Its file is open in the store's tmp/, unnamed until it is complete.)
        let descriptors = "/proc/\(relay.process.pid)/fd"
        try await waitFor("the first upload under way") {
            try FileManager.default.contentsOfDirectory(atPath: descriptors).contains { entry in
                ((try? FileManager.default.destinationOfSymbolicLink(atPath: descriptors + "/" + entry)) ?? "").hasPrefix(folder + "/tmp")
            }
        }
        let second = try await onOwnThread { () -> RawHTTPConnection.Response? in
            let connection = try RawHTTPConnection(port: port)
            connection.send(head)
            return connection.readResponse(timeout: 5)
        }
        #expect(second?.status == 409, "\(String(describing: second))")
        // The first finishes; a third, once it is in place, is refused without its body too.
        first.send([UInt8](repeating: 0x20, count: size - Self.pdf.count - part))
        #expect(try await onOwnThread { first.readResponse(timeout: 30) }?.status == 204)
        let third = try await onOwnThread { () -> RawHTTPConnection.Response? in
            let connection = try RawHTTPConnection(port: port)
            connection.send(head)
            return connection.readResponse(timeout: 5)
        }
        #expect(third?.status == 409 && third?.error == "This attachment was uploaded already", "\(String(describing: third))")
        try await relay.stop()
    }

    @Test func webSocketSendAndRefusals() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let (relay, _) = try await Self.relay(database)
        let alice = relay.token(f.alice)

        let socket = try relay.socket(f.alice)
        let adminSocket = try relay.socket(f.admin)
        for s in [socket, adminSocket] { _ = try await s.next(type: "connected") }
        let id = try await Self.upload(relay, alice, "notes.txt", "text/plain", Data("hello\n".utf8))
        try socket.send(["type": "send_message", "data": ["content": "see notes", "attachment_ids": [id]]])
        let echoed = try await socket.next(type: "message")
        let delivered = try await adminSocket.next(type: "message")
        for frame in [echoed, delivered] {
            let files = frame.data["attachments"] as? [[String: Any]] ?? []
            #expect(files.count == 1 && files.first?["filename"] as? String == "notes.txt" && files.first?["size"] as? Int == 6)
        }

        // Spoofed image: declared PNG, PDF bytes.
        let spoofed = try await Self.upload(relay, alice, "x.png", "image/png", Self.pdf)
        try socket.send(["type": "send_message", "data": ["content": "", "attachment_ids": [spoofed]]])
        let error = try await socket.next(type: "error")
        #expect(error.data["message"] as? String == "Attachment \(spoofed) is not a PNG image")
        let rest = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "x", "attachment_ids": [spoofed]])
        #expect(rest.status == 400 && rest.error == "Attachment \(spoofed) is not a PNG image")

        // Eleven ids, a bad UUID, empty text without files.
        let eleven = (0..<11).map { _ in UUID().lowercasedString }
        try socket.send(["type": "send_message", "data": ["content": "x", "attachment_ids": eleven]])
        #expect((try await socket.next(type: "error")).data["message"] as? String == "A message may carry at most 10 attachments")
        let many = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "x", "attachment_ids": eleven])
        #expect(many.status == 400 && many.error == "A message may carry at most 10 attachments")
        let bad = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "x", "attachment_ids": ["../../etc/passwd"]])
        #expect(bad.status == 400)
        let empty = try await relay.request("POST", "/api/messages", token: alice, json: ["content": ""])
        #expect(empty.status == 400)
        try await relay.stop()
    }

    /// A send that would be refused anyway (another's or a missing conversation, a full rate limit) is refused before
    /// the store is asked about its files: here, files declared and never uploaded, which the store's check refuses.
    @Test func aSendRefusedAnywayIsRefusedBeforeItsFilesAreChecked() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let (relay, _) = try await Self.relay(database, ["MESSAGE_RATE_LIMIT_PER_MINUTE": "2"])
        let alice = relay.token(f.alice)
        let declared = try await Self.create(relay, alice, "never.png", "image/png", 100)
        let id = try #require(declared.object.string("id"))
        let missing = try await relay.request(
            "POST", "/api/messages", token: alice, json: ["content": "x", "conversation_id": UUID().lowercasedString, "attachment_ids": [id]])
        #expect(missing.status == 404, "\(missing.text)")
        let bobs = try await relay.request("POST", "/api/messages", token: relay.token(f.bob), json: ["content": "hi"])
        let bobsConversation = try #require(bobs.object.string("conversation_id"))
        let others = try await relay.request(
            "POST", "/api/messages", token: alice, json: ["content": "x", "conversation_id": bobsConversation, "attachment_ids": [id]])
        #expect(others.status == 403, "\(others.text)")
        // An id that is not the sender's upload, listed after files the store would be asked about: refused before
        // the store is asked anything (as the message for the file that was never uploaded shows).
        let stranger = UUID().lowercasedString
        let listed = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "x", "attachment_ids": [id, stranger]])
        #expect(listed.status == 400 && listed.error == "Attachment \(stranger) is not an upload of yours waiting to be sent", "\(listed.text)")
        for _ in 0..<2 { #expect(try await relay.request("POST", "/api/messages", token: alice, json: ["content": "x"]).status == 201) }
        let limited = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "x", "attachment_ids": [id]])
        #expect(limited.status == 429, "\(limited.text)")
        #expect(limited.headers["retry-after"] != nil)
        try await relay.stop()
    }

    /// A send with files retried with its key (REST `Idempotency-Key`, WebSocket `client_id`), after it was written or
    /// while it is: answered with the first message, never a second one, never a refusal of the files it attached.
    @Test func aRetriedSendWithFilesIsAnsweredWithTheFirstMessage() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let (relay, _) = try await Self.relay(database)
        let alice = relay.token(f.alice)
        let id = try await Self.upload(relay, alice, "notes.txt", "text/plain", Data("hello\n".utf8))
        let body: [String: Any] = ["content": "see notes", "attachment_ids": [id]]
        let first = try await relay.request("POST", "/api/messages", token: alice, json: body, headers: ["Idempotency-Key": "k-1"])
        #expect(first.status == 201, "\(first.text)")
        let again = try await relay.request("POST", "/api/messages", token: alice, json: body, headers: ["Idempotency-Key": "k-1"])
        #expect(again.status == 201, "\(again.text)")
        #expect(again.headers["idempotent-replayed"] == "true")
        #expect(again.object["id"] as? String == first.object["id"] as? String)
        // Two at once, over WebSocket.
        let other = try await Self.upload(relay, alice, "more.txt", "text/plain", Data("more\n".utf8))
        let socket = try relay.socket(f.alice)
        _ = try await socket.next(type: "connected")
        let frame: [String: Any] = [
            "type": "send_message", "data": ["content": "more", "attachment_ids": [other], "client_id": UUID().lowercasedString],
        ]
        try socket.send(frame)
        try socket.send(frame)
        try await waitFor("two answers") { socket.all(type: "message_sent").count + socket.all(type: "error").count == 2 }
        #expect(socket.all(type: "error").isEmpty, "\(socket.all(type: "error").map(\.object))")
        let ids = Set(socket.all(type: "message_sent").compactMap { $0.data["id"] as? String })
        #expect(ids.count == 1)
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE sender_id = $1", [f.alice.id], as: Int.self) == 2)
        // An admin's retry after they were demoted is answered with the rights they have now.
        let conversation = try #require(first.object["conversation_id"] as? String)
        let admin = relay.token(f.admin)
        let file = try await Self.upload(relay, admin, "answer.txt", "text/plain", Data("answer\n".utf8))
        let reply: [String: Any] = ["conversation_id": conversation, "content": "see answer", "attachment_ids": [file]]
        #expect((try await relay.request("POST", "/api/messages", token: admin, json: reply, headers: ["Idempotency-Key": "k-2"])).status == 201)
        _ = try db.query("UPDATE users SET is_admin = false WHERE id = $1", [f.admin.id])
        try await waitFor("the demotion to count") {
            (try await relay.request("GET", "/api/conversations/\(conversation)/messages", token: admin)).status == 403
        }
        let retried = try await relay.request("POST", "/api/messages", token: admin, json: reply, headers: ["Idempotency-Key": "k-2"])
        #expect(retried.status == 403, "\(retried.text)")
        db.close()
        try await relay.stop()
    }

    @Test func creationRefusals() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let (relay, _) = try await Self.relay(database, ["ATTACHMENT_MAX_PENDING_PER_USER": "3", "ATTACHMENT_MAX_BYTES": "1000"])
        let alice = relay.token(f.alice)

        let big = try await Self.create(relay, alice, "a.png", "image/png", 1001)
        #expect(big.status == 413 && big.error == "size 1001 is over the limit of 1000 bytes")
        let html = try await Self.create(relay, alice, "a.html", "text/html", 10)
        #expect(html.status == 415 && (html.error ?? "").hasPrefix("content_type text/html is not accepted"))
        for (name, type, size) in [("", "image/png", 10), ("a.png", "image/png", 0), ("a.png", "image/png", -5), ("a.png", "png", 10)] {
            #expect((try await Self.create(relay, alice, name, type, size)).status == 400)
        }
        let longName = try await Self.create(relay, alice, String(repeating: "a", count: 2000), "image/png", 10)
        #expect(longName.status == 400)
        let huge = try await relay.request(
            "POST", "/api/attachments", token: alice, body: Data(("{\"filename\":\"" + String(repeating: "x", count: 400_000) + "\"}").utf8))
        #expect(huge.status == 413)
        #expect((try await relay.request("POST", "/api/attachments", token: alice, body: Data("[1,2".utf8))).status == 400)

        // Control characters and folders never reach the stored name.
        let hostile = try await Self.create(relay, alice, "..\\..\\x\u{0}\u{1B}[31m\u{2066}.txt", "text/plain", 10)
        #expect(hostile.status == 201)
        for _ in 0..<2 { #expect((try await Self.create(relay, alice, "a.txt", "text/plain", 10)).status == 201) }
        let taken = try db.query("SELECT attachment_tat::text FROM sender_rate_limits WHERE sender_id = $1", [f.alice.id])[0].decode(
            0, as: String.self)
        for _ in 0..<3 {
            let fourth = try await Self.create(relay, alice, "a.txt", "text/plain", 10)
            #expect(fourth.status == 429 && (fourth.error ?? "").hasPrefix("Too many uploads waiting to be sent (at most 3)"))
            // Room comes when the oldest upload is collected (a day unattached, then the collector's next round), unless
            // the user sends the files first.
            let wait = try #require(Int(fourth.headers["retry-after"] ?? ""))
            #expect(wait > 86_000 && wait <= 87_000, "\(wait)")
        }
        // Refused creations take nothing from the hourly allowance.
        #expect(
            try db.query("SELECT attachment_tat::text FROM sender_rate_limits WHERE sender_id = $1", [f.alice.id])[0].decode(0, as: String.self)
                == taken)
        db.close()
        try await relay.stop()
    }

    @Test func unattachedUploadsAreCollected() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let (relay, folder) = try await Self.relay(
            database, ["ATTACHMENT_PENDING_SECONDS": "1", "ATTACHMENT_UPLOAD_URL_SECONDS": "600", "ATTACHMENT_COLLECT_INTERVAL_SECONDS": "0.2"])
        let id = try #require(UUID(uuidString: try await Self.upload(relay, relay.token(f.alice), "a.txt", "text/plain", Data("abc".utf8))))
        func state() throws -> (rows: Int, files: Int) {
            let rows = try db.query("SELECT count(*) FROM attachments WHERE id = $1", [id])[0].decode(0, as: Int.self)
            return (rows, try FileManager.default.contentsOfDirectory(atPath: folder + "/files").count)
        }
        // Past the pending second but within its upload URL's 10 minutes it stays: an upload may still be under way.
        try await Task.sleep(for: .seconds(1.5))
        #expect(try state() == (1, 1))
        // Once the URL has expired (the row made 11 minutes earlier), the row goes first, then the file.
        try db.query("UPDATE attachments SET created_at = created_at - interval '11 minutes' WHERE id = $1", [id])
        try await waitFor("the unattached upload to be collected", timeout: 30) { try state() == (0, 0) }
        try await relay.stop()
    }

    /// A relay killed mid-upload leaves the partial file in `tmp/`: once nothing has written to it for an hour, the
    /// collector removes it; uploads under way and other files stay.
    @Test func partialUploadsLeftBehindAreRemoved() async throws {
        let database = try await TestDatabase.create()
        let (relay, folder) = try await Self.relay(database, ["ATTACHMENT_COLLECT_INTERVAL_SECONDS": "0.2"])
        let tmp = folder + "/tmp/"
        // `.tmp-` and six characters: what an earlier version's file writer left where files cannot be made unnamed.
        let (abandoned, recent, earlier) = (AttachmentKey.make(), AttachmentKey.make(), ".tmp-AbC123")
        for name in [abandoned, recent, earlier, "not-a-key", ".tmp-long-name"] {
            #expect(FileManager.default.createFile(atPath: tmp + name, contents: Data("part of an upload".utf8)))
        }
        for name in [abandoned, earlier, "not-a-key", ".tmp-long-name"] {
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3700)], ofItemAtPath: tmp + name)
        }
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3000)], ofItemAtPath: tmp + recent)
        try await waitFor("the abandoned uploads to be removed") {
            !FileManager.default.fileExists(atPath: tmp + abandoned) && !FileManager.default.fileExists(atPath: tmp + earlier)
        }
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: tmp)) == [recent, "not-a-key", ".tmp-long-name"])
        try await relay.stop()
    }

    /// An upload is on disk before it is acknowledged: its file is synchronised, linked into place, and the folder
    /// synchronised before the 204 (a machine that crashed right after could otherwise lose a file already attached to a
    /// message). Seen through `strace` attached to the relay.
    @Test func anUploadIsOnDiskBeforeItIsAcknowledged() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let (relay, folder) = try await Self.relay(database)
        let trace = folder + "-strace"
        let strace = try RunningProcess(
            path: "/usr/bin/strace", ["-f", "-y", "-e", "trace=fsync,fdatasync,link,linkat", "-o", trace, "-p", String(relay.process.pid)],
            unblockSignals: true)
        _ = try await strace.waitForOutput("attached")
        let id = try await Self.upload(relay, relay.token(f.alice), "a.txt", "text/plain", Data("abc".utf8))
        try await strace.stop()
        let key = try db.scalar("SELECT store_key FROM attachments WHERE id = $1", [UUID(uuidString: id)!], as: String.self)
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        // strace writes descriptors' paths as the kernel has them, arguments as given: compared by their last parts.
        let linked = try #require(lines.firstIndex { $0.contains("link") && $0.contains("/files/\(key)\"") && $0.hasSuffix("= 0") })
        let temporary = try #require(lines[linked].firstMatch(of: /"[^"]*\/tmp\/([^"\/]*)"/)).output.1
        let fileSynced = lines[..<linked].contains { $0.contains("sync(") && $0.contains("/tmp/\(temporary)>") && $0.hasSuffix("= 0") }
        #expect(fileSynced, "\(lines)")
        let store = URL(fileURLWithPath: folder).lastPathComponent
        let folderSynced = lines[(linked + 1)...].contains { $0.contains("fsync(") && $0.contains("/\(store)/files>") && $0.hasSuffix("= 0") }
        #expect(folderSynced, "\(lines)")
        try await relay.stop()
    }

    /// A user deleted in SQL (an erasure request) takes their conversation, messages and attachment rows with them; the
    /// files follow, removed by the relays' collector.
    @Test func theFilesOfADeletedUserAreRemoved() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let (relay, folder) = try await Self.relay(database, ["ATTACHMENT_COLLECT_INTERVAL_SECONDS": "0.2"])
        let alice = relay.token(f.alice)
        let sent = try await Self.upload(relay, alice, "a.txt", "text/plain", Data("abc".utf8))
        #expect(try await relay.request("POST", "/api/messages", token: alice, json: ["content": "", "attachment_ids": [sent]]).status == 201)
        _ = try await Self.upload(relay, alice, "pending.txt", "text/plain", Data("def".utf8))
        // Declared, not uploaded yet: its URL stays valid after the user is gone.
        let declared = try await Self.create(relay, alice, "later.txt", "text/plain", 3)
        let laterURL = try #require(declared.object.string("upload.url"))
        let bob = try await Self.upload(relay, relay.token(f.bob), "b.txt", "text/plain", Data("ghi".utf8))
        func files() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: folder + "/files").count }
        func queued() throws -> Int { try db.scalar("SELECT count(*) FROM attachment_garbage", as: Int.self) }
        #expect(try files() == 3)
        // A key the relay never makes (a row written by hand) is forgotten too, not retried for ever.
        try db.query("INSERT INTO attachment_garbage (store_key) VALUES ('../not-a-key')")
        try db.query("DELETE FROM users WHERE id = $1", [f.alice.id])
        try await waitFor("the deleted user's files to be removed") { try files() == 1 }
        // Their upload URLs may still be used: the keys stay queued to be removed again once those have expired.
        try await waitFor("the removed keys to wait for their URLs") {
            try db.scalar(
                "SELECT count(*) FROM attachment_garbage WHERE upload_from IS NULL AND due_at > now() + interval '15 minutes'", as: Int.self)
                == 3
        }
        #expect(try queued() == 3)
        // Uploaded through the still valid URL, the file comes back for a while: the second removal takes it.
        #expect((try await relay.request("PUT", laterURL, body: Data("jkl".utf8), headers: ["Content-Type": "text/plain"])).status == 204)
        #expect(try files() == 2)
        try db.query("UPDATE attachment_garbage SET due_at = now()")
        try await waitFor("the file uploaded after its row was gone to be removed") { try files() == 1 }
        try await waitFor("the queue to be empty") { try queued() == 0 }
        // Bob's upload is untouched.
        #expect(try db.scalar("SELECT count(*) FROM attachments WHERE id = $1", [UUID(uuidString: bob)!], as: Int.self) == 1)
        try await relay.stop()
    }

    @Test func expiredURLIsRefused() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let (relay, _) = try await Self.relay(database, ["ATTACHMENT_UPLOAD_URL_SECONDS": "1"])
        let created = try await Self.create(relay, relay.token(f.alice), "a.txt", "text/plain", 3)
        let url = try #require(created.object.string("upload.url"))
        let expires = try #require(created.object.string("expires_at").flatMap { Timestamp(rfc3339: $0) })
        while Timestamp.now().microsecondsSinceEpoch <= expires.microsecondsSinceEpoch + 1_000_000 { try await Task.sleep(for: .milliseconds(200)) }
        let late = try await relay.request("PUT", url, body: Data("abc".utf8), headers: ["Content-Type": "text/plain"])
        #expect(late.status == 403 && late.error == "This attachment URL has expired")
        try await relay.stop()
    }

    @Test func maximumSizeKeepsMemoryFlat() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let (relay, _) = try await Self.relay(database, ["ATTACHMENT_RATE_LIMIT_PER_HOUR": "0"])
        let alice = relay.token(f.alice)
        let max = 10 * 1024 * 1024
        let payload = Data(repeating: 0x61, count: max)
        // Warm up once, then measure.
        let first = try await Self.upload(relay, alice, "warm.txt", "text/plain", payload)
        _ = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "warm", "attachment_ids": [first]])
        let before = relay.residentKiB
        var ids: [String] = []
        for round in 0..<4 {
            try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<3 {
                    group.addTask { try await Self.upload(relay, alice, "big\(round)-\(index).txt", "text/plain", payload) }
                }
                for try await id in group { ids.append(id) }
            }
        }
        let sent = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "big", "attachment_ids": Array(ids.prefix(10))])
        #expect(sent.status == 201)
        for id in ids.prefix(6) {
            let download = try await relay.request("GET", "/api/attachments/\(id)", token: alice)
            #expect(download.status == 200 && download.body.count == max)
        }
        let growth = relay.residentKiB - before
        // Twelve uploads and six downloads of 10 MiB, three at a time: held in memory they would take 30 MiB or more.
        #expect(growth < 24 * 1024, "RSS grew by \(growth) KiB")
        try await relay.stop()
    }

    /// An S3 store without its region and credentials (S3AttachmentFlowTests runs one that has them).
    @Test func s3WithoutItsSettingsIsRefusedAtStart() async throws {
        let database = try await TestDatabase.create()
        let error = await #expect(throws: (any Error).self) {
            _ = try await TestRelay(
                database: database,
                environment: ["ATTACHMENT_STORE": "s3://bucket/prefix", "AWS_REGION": nil, "AWS_ACCESS_KEY_ID": nil, "AWS_SECRET_ACCESS_KEY": nil])
        }
        #expect(String(describing: error).contains("AWS_REGION must be set"), "\(String(describing: error))")
        let relative = await #expect(throws: (any Error).self) {
            _ = try await TestRelay(database: database, environment: ["ATTACHMENT_STORE": "local:relative/path"])
        }
        #expect(String(describing: relative).contains("ATTACHMENT_STORE local: needs an absolute folder path"))
    }
}
