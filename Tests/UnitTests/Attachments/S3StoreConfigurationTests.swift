import Foundation
import Testing

@testable import MsgLib

/// `ATTACHMENT_STORE=s3://...` and the AWS_* settings: what is accepted, and a message naming the setting for each bad
/// value.
@Suite struct S3StoreConfigurationTests {
    static let base = [
        "ATTACHMENT_STORE": "s3://msg-files/relay/attachments", "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    ]

    static func parse(_ changes: [String: String?]) throws(ConfigurationError) -> S3StoreConfiguration {
        var environment = base
        for (name, value) in changes { environment[name] = value }
        return try S3StoreConfiguration.fromEnvironment(environment)
    }

    static func refusal(_ changes: [String: String?]) -> String {
        do {
            let configuration = try parse(changes)
            return "accepted: \(configuration)"
        } catch { return error.message }
    }

    @Test func awsDefaults() throws {
        let configuration = try Self.parse([:])
        #expect(configuration.bucket == "msg-files" && configuration.prefix == "relay/attachments/")
        #expect(configuration.region == "eu-west-1" && !configuration.pathStyle)
        #expect(configuration.endpoint == .init(scheme: "https", host: "s3.eu-west-1.amazonaws.com"))
        #expect(configuration.credentials == .init(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"))
        let location = configuration.location(ofObject: "relay/attachments/a b")
        #expect(location.host == "msg-files.s3.eu-west-1.amazonaws.com")
        #expect(location.origin == "https://msg-files.s3.eu-west-1.amazonaws.com" && location.path == "/relay/attachments/a b")
        #expect(!configuration.description.contains("wJalr"))
    }

    @Test func prefixForms() throws {
        for (store, prefix) in [("s3://msg-files", ""), ("s3://msg-files/", ""), ("s3://msg-files/a/", "a/"), ("S3://msg-files//a/b", "a/b/")] {
            #expect(try Self.parse(["ATTACHMENT_STORE": store]).prefix == prefix, "\(store)")
        }
    }

    @Test func customEndpointPathStyle() throws {
        let configuration = try Self.parse([
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9000/", "AWS_S3_FORCE_PATH_STYLE": "TRUE", "AWS_SESSION_TOKEN": "FwoGZXIvYXdzE+/=",
        ])
        #expect(configuration.endpoint == .init(scheme: "http", host: "127.0.0.1", port: 9000) && configuration.pathStyle)
        #expect(configuration.credentials.sessionToken == "FwoGZXIvYXdzE+/=")
        let location = configuration.location(ofObject: "k")
        #expect(location.host == "127.0.0.1:9000" && location.origin == "http://127.0.0.1:9000" && location.path == "/msg-files/k")

        let v6 = try Self.parse(["AWS_ENDPOINT_URL": "http://[::1]:9000", "AWS_S3_FORCE_PATH_STYLE": "1"])
        #expect(v6.location(ofObject: "k").origin == "http://[::1]:9000")
        let r2 = try Self.parse(["AWS_ENDPOINT_URL": "https://ACCOUNT.r2.cloudflarestorage.com:443", "AWS_REGION": "auto"])
        #expect(r2.location(ofObject: "k").host == "msg-files.account.r2.cloudflarestorage.com")
        let local = try Self.parse(["AWS_ENDPOINT_URL": "http://localhost:9000"])
        #expect(local.location(ofObject: "k").origin == "http://msg-files.localhost:9000")
        let allowed = try Self.parse(["AWS_ENDPOINT_URL": "http://minio.internal:9000", "ATTACHMENT_STORE_ALLOW_HTTP": "true"])
        #expect(allowed.endpoint.scheme == "http")
        let dotted = try Self.parse(["ATTACHMENT_STORE": "s3://files.example.com", "AWS_S3_FORCE_PATH_STYLE": "true"])
        #expect(dotted.location(ofObject: "k").path == "/files.example.com/k")
    }

    @Test(
        arguments: [
            (["ATTACHMENT_STORE": "local:/tmp/x"], "ATTACHMENT_STORE must be s3://"),
            (["ATTACHMENT_STORE": "s3://"], "the bucket of ATTACHMENT_STORE must be 3 to 63"),
            (["ATTACHMENT_STORE": "s3://ab"], "the bucket of ATTACHMENT_STORE must be 3 to 63"),
            (["ATTACHMENT_STORE": "s3://" + String(repeating: "a", count: 64)], "the bucket of ATTACHMENT_STORE must be 3 to 63"),
            (["ATTACHMENT_STORE": "s3://My_Bucket"], "the bucket of ATTACHMENT_STORE must be 3 to 63"),
            (["ATTACHMENT_STORE": "s3://-bucket"], "the bucket of ATTACHMENT_STORE must be 3 to 63"),
            (["ATTACHMENT_STORE": "s3://a..b"], "the bucket of ATTACHMENT_STORE must be 3 to 63"),
            (["ATTACHMENT_STORE": "s3://user@bucket"], "the bucket of ATTACHMENT_STORE must be 3 to 63"),
            (["ATTACHMENT_STORE": "s3://192.168.1.10"], "must not be an IP address"),
            (["ATTACHMENT_STORE": "s3://bucket?x=1"], "without a query or fragment"),
            (["ATTACHMENT_STORE": "s3://bucket/../etc"], "the prefix of ATTACHMENT_STORE"),
            (["ATTACHMENT_STORE": "s3://bucket/a/./b"], "the prefix of ATTACHMENT_STORE"),
            (["ATTACHMENT_STORE": "s3://bucket/a//b"], "the prefix of ATTACHMENT_STORE"),
            (["ATTACHMENT_STORE": "s3://bucket/a b"], "the prefix of ATTACHMENT_STORE"),
            (["ATTACHMENT_STORE": "s3://bucket/a\u{0}b"], "the prefix of ATTACHMENT_STORE"),
            (["ATTACHMENT_STORE": "s3://bucket/é"], "the prefix of ATTACHMENT_STORE"),
            (["ATTACHMENT_STORE": "s3://bucket/" + String(repeating: "a", count: 513)], "the prefix of ATTACHMENT_STORE"),
            (["ATTACHMENT_STORE": "s3://files.example.com"], "set AWS_S3_FORCE_PATH_STYLE=true"),
            (["AWS_REGION": nil], "AWS_REGION must be set"),
            (["AWS_REGION": ""], "AWS_REGION must be set"),
            (["AWS_REGION": "EU West"], "AWS_REGION must be a region name"),
            (["AWS_REGION": "eu-west-1\n"], "AWS_REGION must be a region name"),
            (["AWS_ENDPOINT_URL": "http://minio.internal:9000"], "AWS_ENDPOINT_URL must be https unless its host is loopback"),
            (["AWS_ENDPOINT_URL": "http://10.0.0.5:9000", "AWS_S3_FORCE_PATH_STYLE": "true"], "must be https unless"),
            (["AWS_ENDPOINT_URL": "ftp://minio.internal"], "AWS_ENDPOINT_URL must be an https URL"),
            (["AWS_ENDPOINT_URL": "minio.internal:9000"], "AWS_ENDPOINT_URL must be an absolute https URL"),
            (["AWS_ENDPOINT_URL": "https://user:pw@minio.internal"], "AWS_ENDPOINT_URL must not contain user information"),
            (["AWS_ENDPOINT_URL": "https://minio.internal/s3"], "without a path, query or fragment"),
            (["AWS_ENDPOINT_URL": "https://minio.internal?x"], "without a path, query or fragment"),
            (["AWS_ENDPOINT_URL": "https://minio.internal:99999"], "AWS_ENDPOINT_URL has an invalid port"),
            (["AWS_ENDPOINT_URL": "https://mi nio"], "AWS_ENDPOINT_URL must be an absolute URL without spaces"),
            (["AWS_ENDPOINT_URL": "https://203.0.113.7"], "AWS_ENDPOINT_URL is an IP address"),
            (
                ["AWS_ENDPOINT_URL": "https://minio.internal", "ATTACHMENT_STORE_ALLOW_HTTP": "yes"],
                "ATTACHMENT_STORE_ALLOW_HTTP must be true or false"
            ),
            (["AWS_S3_FORCE_PATH_STYLE": "on"], "AWS_S3_FORCE_PATH_STYLE must be true or false"),
            (["AWS_ACCESS_KEY_ID": nil], "AWS_ACCESS_KEY_ID must be set"),
            (["AWS_ACCESS_KEY_ID": "AKID EXAMPLE"], "AWS_ACCESS_KEY_ID must be up to 128 letters and digits"),
            (["AWS_SECRET_ACCESS_KEY": nil], "AWS_SECRET_ACCESS_KEY must be set"),
            (["AWS_SECRET_ACCESS_KEY": "secret with space"], "AWS_SECRET_ACCESS_KEY must be up to 256 printable"),
            (["AWS_SESSION_TOKEN": "tok\r\nX-Evil: 1"], "AWS_SESSION_TOKEN must be up to 4096 printable"),
        ] as [([String: String?], String)])
    func refused(_ changes: [String: String?], _ expected: String) {
        let message = Self.refusal(changes)
        #expect(message.contains(expected), "\(changes): \(message)")
        #expect(!message.contains("wJalr") && !message.contains("secret with space") && !message.contains("X-Evil"))
        #expect(!message.unicodeScalars.contains { $0.properties.generalCategory == .control })
    }

    /// A presigned URL lasts at most 7 days: a longer lifetime is refused at start-up, not at every upload.
    @Test func urlLifetimesBeyondSevenDaysAreRefused() throws {
        for name in ["ATTACHMENT_UPLOAD_URL_SECONDS", "ATTACHMENT_DOWNLOAD_URL_SECONDS"] {
            var environment = Self.base
            environment[name] = "700000"
            do {
                _ = try AttachmentConfiguration.fromEnvironment(environment, jwtSecret: "s")
                Issue.record("\(name)=700000 accepted")
            } catch {
                #expect(error.message == "\(name) must be at most 604800 (7 days) with an S3 store: a presigned URL lasts no longer")
            }
            environment[name] = "604800"
            #expect(try AttachmentConfiguration.fromEnvironment(environment, jwtSecret: "s").s3 != nil)
        }
        // The local store signs its own URLs: any lifetime.
        #expect(
            try AttachmentConfiguration.fromEnvironment(
                ["ATTACHMENT_STORE": "local:/srv/files", "ATTACHMENT_UPLOAD_URL_SECONDS": "700000"], jwtSecret: "s"
            )
            .uploadURLLifetime == .seconds(700_000))
    }

    /// The design's `AWS_S3_BUCKET` alone is an `s3://` store of that bucket; beside `ATTACHMENT_STORE` it must agree.
    @Test func theDesignsBucketSetting() throws {
        var environment = Self.base
        environment["ATTACHMENT_STORE"] = nil
        environment["AWS_S3_BUCKET"] = "msg-files"
        let alone = try AttachmentConfiguration.fromEnvironment(environment, jwtSecret: "s")
        #expect(alone.s3?.bucket == "msg-files" && alone.s3?.prefix == "")
        environment["ATTACHMENT_STORE"] = "s3://msg-files/relay"
        let both = try AttachmentConfiguration.fromEnvironment(environment, jwtSecret: "s")
        #expect(both.s3?.bucket == "msg-files" && both.s3?.prefix == "relay/")
        for (store, bucket) in [("s3://other-files", "msg-files"), ("local:/srv/files", "msg-files"), (nil, "msg-files/relay"), (nil, "Bad_Bucket")] {
            environment["ATTACHMENT_STORE"] = store
            environment["AWS_S3_BUCKET"] = bucket
            #expect(throws: ConfigurationError.self, "\(store ?? "-") \(bucket)") {
                try AttachmentConfiguration.fromEnvironment(environment, jwtSecret: "s")
            }
        }
        // Without AWS_REGION and keys the bucket alone is still an S3 store: refused for what it lacks.
        #expect(throws: ConfigurationError.self) { try AttachmentConfiguration.fromEnvironment(["AWS_S3_BUCKET": "msg-files"], jwtSecret: "s") }
        #expect(try AttachmentConfiguration.fromEnvironment([:], jwtSecret: "s").store == nil)
    }
}
