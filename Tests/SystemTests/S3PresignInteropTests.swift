import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Our presigned S3 URLs against botocore's presigner (boto3, through Interop/s3_interop.py with its clock frozen):
/// the same URL for the same credentials, time, region, endpoint, addressing style and request.
@Suite(.needsProcesses, .processSlot) struct S3PresignInteropTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var endpoint: String?
        var pathStyle: Bool
        var token: String?
        var key: String
        var region = "eu-west-1"
        var testDescription: String { name }
    }

    static let date = Date(timeIntervalSince1970: 1_764_892_800.75)  // 2025-12-05T00:00:00.75Z: the fraction is dropped
    static let cases: [Case] = [
        Case(name: "AWS, virtual-hosted", pathStyle: false, key: "att/0193a1b2-c3d4"),
        Case(name: "AWS, path-style, session token", pathStyle: true, token: "FwoGZXIvYXdzEJr//////////wEaDH+abc=", key: "att/x"),
        Case(name: "AWS, key with spaces and Unicode", pathStyle: false, key: "att/a b/zoë – 猫 (1)+~!*'.png"),
        Case(name: "MinIO on loopback, path-style", endpoint: "http://127.0.0.1:9000", pathStyle: true, key: "att/a b", region: "us-east-1"),
        Case(
            name: "custom https endpoint, virtual-hosted, token", endpoint: "https://storage.example.net", pathStyle: false, token: "tok/+=",
            key: "att/ü"),
        Case(name: "R2-like endpoint with port", endpoint: "https://acct.r2.example.com:8443", pathStyle: true, key: "att/k", region: "auto"),
    ]

    static func store(_ test: Case, prefix: String = "relay/") throws -> S3AttachmentStore {
        var environment = [
            "ATTACHMENT_STORE": "s3://msg-files/\(prefix)", "AWS_REGION": test.region, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "AWS_S3_FORCE_PATH_STYLE": String(test.pathStyle),
        ]
        environment["AWS_ENDPOINT_URL"] = test.endpoint
        environment["AWS_SESSION_TOKEN"] = test.token
        return S3AttachmentStore(configuration: try S3StoreConfiguration.fromEnvironment(environment), now: { date })
    }

    static func botocore(_ test: Case, _ input: [String: Any]) async throws -> String {
        var arguments: [String: Any] = [
            "access_key": "AKIDEXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "region": test.region,
            "path_style": test.pathStyle, "bucket": "msg-files", "key": "relay/" + test.key, "expires": 900,
            "timestamp": Int(date.timeIntervalSince1970),
        ]
        arguments["endpoint_url"] = test.endpoint ?? "https://s3.\(test.region).amazonaws.com"
        arguments["session_token"] = test.token
        arguments.merge(input) { $1 }
        let output = try await S3Interop.run("presign", arguments)
        return try #require(output["url"] as? String)
    }

    /// The URL before the query, and the query's pairs sorted (botocore does not put them in canonical order).
    static func parts(_ url: String) -> (base: String, query: [String]) {
        let pieces = url.split(separator: "?", maxSplits: 1).map(String.init)
        return (pieces[0], (pieces.count > 1 ? pieces[1] : "").split(separator: "&").map(String.init).sorted())
    }

    @Test(arguments: cases) func presignedPutMatchesBotocore(_ test: Case) async throws {
        let ours = try Self.store(test).uploadTarget(
            key: test.key, contentType: "image/png", size: 123_456, expires: Self.date.addingTimeInterval(899.25))
        let theirs = try await Self.botocore(
            test, ["method": "PUT", "content_type": "image/png", "content_length": 123_456, "if_none_match": "*"])
        #expect(Self.parts(ours.url) == Self.parts(theirs))
        #expect(ours.url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost%3Bif-none-match"))
        #expect(ours.method == "PUT" && ours.headers == ["Content-Type": "image/png", "If-None-Match": "*"])
    }

    @Test(arguments: cases) func presignedGetMatchesBotocore(_ test: Case) async throws {
        let filename = AttachmentFilename(sanitizing: "Résumé \"final\"; v2.pdf")
        let ours = try Self.store(test).downloadTarget(
            key: test.key, filename: filename, contentType: "application/pdf", inline: false, expires: Self.date.addingTimeInterval(900))
        let theirs = try await Self.botocore(
            test,
            [
                "method": "GET", "response_content_disposition": filename.contentDisposition(inline: false),
                "response_content_type": "application/pdf", "response_cache_control": "private, no-store",
                "response_content_encoding": "identity",
            ])
        #expect(Self.parts(ours.url) == Self.parts(theirs))
        #expect(ours.method == "GET" && ours.headers.isEmpty)
    }

    /// A URL signed an hour ago is signed as botocore would have signed it then (S3 refuses it: it expired).
    @Test func pastSigningTime() async throws {
        let test = Self.cases[1]
        let past = Self.date.addingTimeInterval(-3600)
        var store = try Self.store(test)
        store = S3AttachmentStore(configuration: store.configuration, now: { past })
        let ours = try store.downloadTarget(
            key: test.key, filename: AttachmentFilename(sanitizing: "a.txt"), contentType: "text/plain", inline: true,
            expires: past.addingTimeInterval(60))
        var input: [String: Any] = ["method": "GET", "expires": 60, "timestamp": Int(past.timeIntervalSince1970)]
        input["response_content_disposition"] = AttachmentFilename(sanitizing: "a.txt").contentDisposition(inline: true)
        input["response_content_type"] = "text/plain"
        input["response_cache_control"] = "private, no-store"
        input["response_content_encoding"] = "identity"
        #expect(Self.parts(ours.url) == Self.parts(try await Self.botocore(test, input)))
    }
}
