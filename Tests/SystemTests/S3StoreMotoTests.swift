import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// ``S3AttachmentStore`` against moto in server mode (started on a free 127.0.0.1 port per test): files go up and
/// down through our presigned URLs with a plain HTTP client, the relay's own signed requests inspect and delete them.
///
/// moto does not check presigned URLs' signatures or expiry (S3PresignInteropTests shows AWS's own presigner makes the
/// same URLs, signing the same headers); it does check the `Authorization` header once authentication is on.
@Suite(.needsProcesses, .processSlot, .serialized) struct S3StoreMotoTests {
    static let bucket = "msg-files"
    static let client = HTTPClient(configuration: .init(allowInsecure: true, maxResponseBodyBytes: 4 * 1024 * 1024))

    static func store(
        _ moto: MotoServer, endpoint: String? = nil, credentials: SigV4Signer.Credentials = MotoServer.credentials,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws -> S3AttachmentStore {
        let environment = moto.storeEnvironment(bucket: bucket, endpoint: endpoint, credentials: credentials)
        return S3AttachmentStore(configuration: try S3StoreConfiguration.fromEnvironment(environment), timeout: .seconds(10), now: now)
    }

    /// Sends `transfer` with `body`, the headers it names and any `extra` ones.
    static func perform(_ transfer: AttachmentTransfer, body: [UInt8] = [], extra: [String: String] = [:]) async throws -> HTTPClient.Response {
        let method = try #require(HTTPClient.Method(rawValue: transfer.method))
        let headers = transfer.headers.merging(extra) { $1 }.map { (name: $0.key, value: $0.value) }
        return try await client.send(HTTPClient.Request(url: transfer.url, method: method, headers: headers, body: body, timeout: .seconds(20)))
    }

    static let png = SampleFiles.png(width: 256, height: 128, padding: 300_000)

    @Test func uploadInspectDownloadDelete() async throws {
        try await MotoServer.with(bucket: Self.bucket) { moto in
            let store = try Self.store(moto)
            let key = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
            #expect(try await store.inspect(key: key, prefixLength: 64) == nil)

            let upload = try store.uploadTarget(key: key, contentType: "image/png", size: Self.png.count, expires: Date().addingTimeInterval(300))
            #expect(upload.url.hasPrefix("\(moto.endpoint)/\(Self.bucket)/relay/\(key)?"))
            let put = try await Self.perform(upload, body: Self.png)
            #expect(put.status == 200, "\(put.bodyText)")

            let stored = try #require(try await store.inspect(key: key, prefixLength: ImageHeader.prefixLength))
            #expect(stored.size == Self.png.count && stored.contentType == "image/png")
            #expect(stored.prefix == Array(Self.png.prefix(ImageHeader.prefixLength)))
            #expect(ImageHeader(prefix: stored.prefix) == ImageHeader(format: .png, width: 256, height: 128))
            let short = try #require(try await store.inspect(key: key, prefixLength: 16))
            #expect(short.prefix == Array(Self.png.prefix(16)) && short.size == Self.png.count)

            // If-None-Match: * is signed: the URL cannot replace what was uploaded (moto honours conditional writes).
            let again = try await Self.perform(upload, body: Array("<svg onload=alert(1)>".utf8))
            #expect(again.status == 412)
            #expect(try await store.inspect(key: key, prefixLength: 8)?.size == Self.png.count)

            let filename = AttachmentFilename(sanitizing: "Holiday photo (1).png")
            let download = try store.downloadTarget(
                key: key, filename: filename, contentType: "image/png", inline: false, expires: Date().addingTimeInterval(60))
            let get = try await Self.perform(download)
            #expect(get.status == 200 && get.body == Self.png)
            #expect(get.header("Content-Disposition") == filename.contentDisposition(inline: false))
            #expect(get.header("Content-Type") == "image/png")
            // What an uploader stored with the object (an encoding, a public cache lifetime) never reaches the downloader.
            #expect(get.header("Cache-Control") == "private, no-store" && get.header("Content-Encoding") == "identity")

            try await store.delete(key: key)
            #expect(try await store.inspect(key: key, prefixLength: 64) == nil)
            try await store.delete(key: key)  // missing: no error
            try await store.delete(key: "never/uploaded")
            // S3 answers 404 NoSuchKey; moto, for a missing key, mistakes response-content-type for a signed header: 403.
            let gone = try await Self.perform(download)
            #expect([403, 404].contains(gone.status) && S3ErrorBody(gone.body) != nil, "\(gone.status) \(gone.bodyText)")
        }
    }

    /// Through a gate that checks presigned URLs as S3 does (botocore recomputes the signature of each request as
    /// received): what the URLs sign is enforced.
    @Test func presignedURLsAreEnforcedLikeS3() async throws {
        try await MotoServer.with(bucket: Self.bucket) { moto in
            let gate = try await PresignGate.start(before: moto)
            defer { gate.stop() }
            let store = try Self.store(moto, endpoint: gate.endpoint)
            let configuration = store.configuration
            let soon = Date().addingTimeInterval(120)
            let body = Array("hello, world".utf8)
            func code(_ response: HTTPClient.Response) -> String? { S3ErrorBody(response.body)?.code }

            // Another type, another size, a missing signed header: the signature does not hold.
            let upload = try store.uploadTarget(key: "a b/ü", contentType: "text/plain", size: body.count, expires: soon)
            let retyped = try await Self.perform(upload, body: body, extra: ["Content-Type": "text/html"])
            #expect(retyped.status == 403 && code(retyped) == "SignatureDoesNotMatch")
            let longer = try await Self.perform(upload, body: body + body)
            #expect(longer.status == 403 && code(longer) == "SignatureDoesNotMatch")
            let withoutCondition = try await Self.perform(
                AttachmentTransfer(method: "PUT", url: upload.url, headers: ["Content-Type": "text/plain"]), body: body)
            #expect(withoutCondition.status == 403)
            #expect(try await store.inspect(key: "a b/ü", prefixLength: 8) == nil)

            // As signed: accepted, and readable through a download URL; a changed query is refused.
            let put = try await Self.perform(upload, body: body)
            #expect(put.status == 200, "\(put.bodyText)")
            let download = try store.downloadTarget(
                key: "a b/ü", filename: AttachmentFilename(sanitizing: "ü.txt"), contentType: "text/plain", inline: false, expires: soon)
            let got = try await Self.perform(download)
            #expect(got.status == 200 && got.body == body)
            let tampered = download.url.replacingOccurrences(of: "response-content-type=text%2Fplain", with: "response-content-type=text%2Fhtml")
            #expect(tampered != download.url)
            let refused = try await Self.perform(AttachmentTransfer(method: "GET", url: tampered))
            #expect(refused.status == 403 && code(refused) == "SignatureDoesNotMatch")

            // Signed an hour ago for a minute: expired.
            let past = Date().addingTimeInterval(-3600)
            let old = S3AttachmentStore(configuration: configuration, now: { past })
            let expired = try old.downloadTarget(
                key: "a b/ü", filename: AttachmentFilename(sanitizing: "ü.txt"), contentType: "text/plain", inline: false,
                expires: past.addingTimeInterval(60))
            let late = try await Self.perform(expired)
            #expect(late.status == 403 && S3ErrorBody(late.body)?.message == "Request has expired")
            let lateUpload = try old.uploadTarget(key: "late", contentType: "text/plain", size: 2, expires: past.addingTimeInterval(60))
            #expect(try await Self.perform(lateUpload, body: Array("hi".utf8)).status == 403)
            #expect(try await store.inspect(key: "late", prefixLength: 2) == nil)
        }
    }

    @Test func emptyFileAndOtherTypes() async throws {
        try await MotoServer.with(bucket: Self.bucket) { moto in
            let store = try Self.store(moto)
            let empty = try store.uploadTarget(key: "empty", contentType: "text/plain", size: 0, expires: Date().addingTimeInterval(60))
            #expect(try await Self.perform(empty).status == 200)
            #expect(try await store.inspect(key: "empty", prefixLength: 64) == StoredAttachment(size: 0, contentType: "text/plain", prefix: []))

            // A client that sends another type than the one signed: S3 refuses the signature; moto keeps what it got,
            // and inspect reports the type as stored, for the relay to refuse.
            let upload = try store.uploadTarget(key: "typed", contentType: "image/png", size: 5, expires: Date().addingTimeInterval(60))
            _ = try await Self.perform(upload, body: Array("hello".utf8), extra: ["Content-Type": "text/html"])
            let stored = try await store.inspect(key: "typed", prefixLength: 64)
            #expect(stored == nil || stored?.contentType == "text/html")
        }
    }

    @Test func missingBucketAndRefusedKeys() async throws {
        let moto = try await MotoServer.start()
        defer { moto.stop() }
        let store = try Self.store(moto)  // the bucket was never created
        await #expect {
            try await store.inspect(key: "k", prefixLength: 8)
        } throws: { error in
            (error as? S3StoreError)?.kind == .noSuchBucket && "\(error)".contains("check the bucket of ATTACHMENT_STORE")
        }
        for key in ["", "a//b", "../etc/passwd", "a/./b", "a/..", "a\u{0}b", "a\nb", "a\\b", String(repeating: "k", count: 1100)] {
            #expect(throws: S3StoreError.self, "\(key.debugDescription)") {
                try store.uploadTarget(key: key, contentType: "text/plain", size: 1, expires: Date().addingTimeInterval(60))
            }
            await #expect(throws: S3StoreError.self, "\(key.debugDescription)") { try await store.inspect(key: key, prefixLength: 1) }
        }
        #expect(throws: S3StoreError.self) {
            try store.uploadTarget(key: "k", contentType: "text/plain\r\nX-Evil: 1", size: 1, expires: Date().addingTimeInterval(60))
        }
        #expect(throws: S3StoreError.self) {
            try store.uploadTarget(key: "k", contentType: "text/plain", size: 1, expires: Date().addingTimeInterval(-5))
        }
    }

    /// With authentication on, a wrong secret is refused with S3's reason and what to check, and no credential in the
    /// message; the right one works.
    @Test func badSecretIsAClearError() async throws {
        try await MotoServer.with(bucket: Self.bucket) { moto in
            let credentials = try await moto.createUser()
            try await moto.enableAuthentication()

            let good = try Self.store(moto, credentials: credentials)
            #expect(try await good.inspect(key: "nothing", prefixLength: 8) == nil)
            try await good.delete(key: "nothing")

            var wrong = credentials
            wrong.secretAccessKey = "not-the-secret"
            let bad = try Self.store(moto, credentials: wrong)
            for attempt in [{ _ = try await bad.inspect(key: "nothing", prefixLength: 8) }, { try await bad.delete(key: "nothing") }] {
                do {
                    try await attempt()
                    Issue.record("a wrong secret was accepted")
                } catch let error as S3StoreError {
                    #expect(error.kind == .denied)
                    #expect(error.message.contains("SignatureDoesNotMatch"), "\(error.message)")
                    #expect(error.message.contains("check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"))
                    #expect(!error.message.contains(credentials.secretAccessKey) && !error.message.contains("not-the-secret"))
                }
            }
            let unknown = try Self.store(moto, credentials: .init(accessKeyId: "AKIAUNKNOWNKEY", secretAccessKey: "x"))
            await #expect {
                try await unknown.inspect(key: "nothing", prefixLength: 8)
            } throws: { ($0 as? S3StoreError)?.kind == .denied }
        }
    }

    @Test func unreachableServiceTimesOutOrFails() async throws {
        let port = try RecordingHTTPServer.unusedPort()
        let configuration = try S3StoreConfiguration.fromEnvironment([
            "ATTACHMENT_STORE": "s3://\(Self.bucket)", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)",
            "AWS_S3_FORCE_PATH_STYLE": "true", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
        ])
        let store = S3AttachmentStore(configuration: configuration, timeout: .seconds(2))
        await #expect {
            try await store.inspect(key: "k", prefixLength: 8)
        } throws: { ($0 as? S3StoreError)?.kind == .unavailable }
    }
}
