import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// ``S3AttachmentStore`` against a fake S3 (RecordingHTTPServer) that answers badly: missing or malformed headers,
/// short, huge or garbled bodies, redirects, silence.
@Suite struct S3HostileAnswerTests {
    static func store(_ server: RecordingHTTPServer, timeout: Duration = .seconds(5)) throws -> S3AttachmentStore {
        let configuration = try S3StoreConfiguration.fromEnvironment([
            "ATTACHMENT_STORE": "s3://msg-files/p", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": server.url(""),
            "AWS_S3_FORCE_PATH_STYLE": "true", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrSECRET",
        ])
        return S3AttachmentStore(configuration: configuration, timeout: timeout)
    }

    static func failure(_ body: () async throws -> Void) async -> S3StoreError? {
        do {
            try await body()
            return nil
        } catch { return error as? S3StoreError }
    }

    @Test func signedRequestsAndARealAnswer() async throws {
        let server = try RecordingHTTPServer()
        defer { server.stop() }
        server.respond { request in
            request.method == "HEAD"
                ? .init(headers: [("Content-Type", "image/gif"), ("ETag", "\"abc\""), ("Content-Length", "10")])
                : .init(status: 206, headers: [("Content-Type", "image/gif")], text: "GIF89a")
        }
        let stored = try await Self.store(server).inspect(key: "k 1", prefixLength: 6)
        #expect(stored == StoredAttachment(size: 10, contentType: "image/gif", prefix: Array("GIF89a".utf8)))
        let requests = server.requests
        try #require(requests.count == 2)
        #expect(requests[0].method == "HEAD" && requests[0].target == "/msg-files/p/k%201")
        #expect(requests[1].method == "GET" && requests[1].header("range") == "bytes=0-5" && requests[1].header("if-match") == "\"abc\"")
        for request in requests {
            #expect(request.header("authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true)
            #expect(request.header("x-amz-content-sha256") == SigV4Signer.emptyPayloadHash)
            #expect(request.header("host") == "127.0.0.1:\(server.port)")
            #expect(!request.target.contains("wJalr") && request.header("authorization")?.contains("wJalr") == false)
        }
    }

    @Test func badHeadAnswers() async throws {
        let server = try RecordingHTTPServer()
        defer { server.stop() }
        let store = try Self.store(server)
        for length in ["-1", "12abc", "99999999999999999999999"] {
            server.respond { _ in .init(headers: [("Content-Length", length)]) }
            let error = await Self.failure { _ = try await store.inspect(key: "k", prefixLength: 8) }
            #expect(error != nil, "Content-Length \(length)")
        }
        // The object is shorter than HEAD said.
        server.respond { request in
            request.method == "HEAD" ? .init(headers: [("Content-Length", "100")]) : .init(status: 206, text: "abc")
        }
        #expect(await Self.failure { _ = try await store.inspect(key: "k", prefixLength: 50) }?.kind == .badAnswer)
        // It changed between HEAD and GET.
        server.respond { request in
            request.method == "HEAD" ? .init(headers: [("Content-Length", "100"), ("ETag", "\"1\"")]) : .init(status: 412)
        }
        #expect(await Self.failure { _ = try await store.inspect(key: "k", prefixLength: 50) }?.message.contains("changed") == true)
    }

    @Test func hugeAndMalformedBodies() async throws {
        let server = try RecordingHTTPServer()
        defer { server.stop() }
        let store = try Self.store(server)
        // A 3 MiB answer to a ranged GET that asked for 8 bytes: 8 bytes kept.
        let huge = [UInt8](repeating: 0x41, count: 3 * 1024 * 1024)
        server.respond { request in request.method == "HEAD" ? .init(headers: [("Content-Length", "3145728")]) : .init(body: huge) }
        #expect(try await store.inspect(key: "k", prefixLength: 8)?.prefix == Array(huge.prefix(8)))
        #expect(try await store.inspect(key: "k", prefixLength: 10_000_000)?.prefix.count == S3AttachmentStore.maxPrefixLength)

        // Error bodies: garbage, huge, hostile XML: errors of bounded length, without control characters.
        let bodies: [[UInt8]] = [
            Array("<Error><Code>Internal\u{1B}[2J</Code><Message><![CDATA[".utf8), Array(repeating: 0x3C, count: 2 * 1024 * 1024),
            Array("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><Error><Code>&a;&a;</Code></Error>".utf8),
            Array("<Error><Code>\(String(repeating: "X", count: 100_000))</Code></Error>".utf8),
        ]
        for (index, body) in bodies.enumerated() {
            server.respond { _ in .init(status: 500, body: body) }
            let error = try #require(await Self.failure { try await store.delete(key: "k") }, "body \(index)")
            #expect(error.kind == .badAnswer && error.message.contains("500"))
            #expect(error.message.count < 600, "body \(index): \(error.message.count) characters")
            #expect(!error.message.unicodeScalars.contains { $0.properties.generalCategory == .control })
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        let elsewhere = try RecordingHTTPServer()
        defer { elsewhere.stop() }
        let server = try RecordingHTTPServer()
        defer { server.stop() }
        server.respond { _ in
            .init(status: 301, headers: [("Location", elsewhere.url("/steal"))], text: "<Error><Code>PermanentRedirect</Code></Error>")
        }
        let error = await Self.failure { try await Self.store(server).delete(key: "k") }
        #expect(error?.message.contains("check AWS_REGION") == true)
        #expect(elsewhere.requests.isEmpty)
    }

    @Test func silenceTimesOut() async throws {
        let server = try RecordingHTTPServer()
        defer { server.stop() }
        server.respond { _ in .init(delay: .seconds(120)) }
        let started = ContinuousClock.now
        let error = await Self.failure { _ = try await Self.store(server, timeout: .seconds(1)).inspect(key: "k", prefixLength: 8) }
        #expect(error?.kind == .unavailable && error?.message.contains("no response within 1000 ms") == true, "\(String(describing: error))")
        // Far less than the silence (a busy machine may delay the request itself).
        #expect(ContinuousClock.now - started < .seconds(60))
    }
}
