import Foundation
import Testing

@testable import MsgLib

/// SigV4 against AWS's published vectors: the Signature Version 4 test suite (a generic service, whose canonical
/// path is encoded twice) and the worked examples of S3's documentation (header and query authentication).
@Suite struct SigV4SignerTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let method: String
        var path = "/"
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body = ""
        let signedHeaders: String
        let signature: String
        var testDescription: String { name }
    }

    /// The test suite's requests, signed at 2015-08-30T12:36:00Z for `service` in us-east-1.
    static let suite: [Vector] = [
        Vector(
            name: "get-header-key-duplicate", method: "GET", headers: [("My-Header1", "value2,value2,value1")],
            signedHeaders: "host;my-header1;x-amz-date", signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
        Vector(
            name: "get-header-value-order", method: "GET", headers: [("My-Header1", "value4"), ("My-Header1", "value1,value3,value2")],
            signedHeaders: "host;my-header1;x-amz-date", signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
        Vector(
            name: "get-header-value-trim", method: "GET", headers: [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
            signedHeaders: "host;my-header1;my-header2;x-amz-date",
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        Vector(
            name: "get-unreserved", method: "GET", path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            signedHeaders: "host;x-amz-date", signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
        Vector(
            name: "get-utf8", method: "GET", path: "/\u{1234}", signedHeaders: "host;x-amz-date",
            signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        Vector(
            name: "get-vanilla", method: "GET", signedHeaders: "host;x-amz-date",
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(
            name: "get-vanilla-query-order-key-case", method: "GET", query: [("Param2", "value2"), ("Param1", "value1")],
            signedHeaders: "host;x-amz-date", signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector(
            name: "get-vanilla-query-unreserved", method: "GET",
            query: [
                (
                    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                    "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                )
            ],
            signedHeaders: "host;x-amz-date", signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
        Vector(
            name: "get-vanilla-utf8-query", method: "GET", query: [("\u{1234}", "bar")], signedHeaders: "host;x-amz-date",
            signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        Vector(
            name: "post-header-key-sort", method: "POST", headers: [("My-Header1", "value1")], signedHeaders: "host;my-header1;x-amz-date",
            signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
        Vector(
            name: "post-header-value-case", method: "POST", headers: [("My-Header1", "VALUE1")], signedHeaders: "host;my-header1;x-amz-date",
            signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
        Vector(
            name: "post-vanilla", method: "POST", signedHeaders: "host;x-amz-date",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(
            name: "post-vanilla-query", method: "POST", query: [("Param1", "value1")], signedHeaders: "host;x-amz-date",
            signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        Vector(
            name: "post-vanilla-query-nonunreserved", method: "POST", query: [("@#$%^", ""), ("+", "/,?><`\";:\\|][{}")],
            signedHeaders: "host;x-amz-date", signature: "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"),
        Vector(
            name: "post-vanilla-query-space", method: "POST", query: [("p", "")], signedHeaders: "host;x-amz-date",
            signature: "e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b"),
        Vector(
            name: "post-x-www-form-urlencoded", method: "POST", headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "Param1=value1", signedHeaders: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
        Vector(
            name: "post-x-www-form-urlencoded-parameters", method: "POST",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf8")], body: "Param1=value1",
            signedHeaders: "content-type;host;x-amz-date", signature: "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"),
    ]

    static let suiteSigner = SigV4Signer(
        credentials: .init(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), region: "us-east-1",
        service: "service")
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    @Test(arguments: suite) func testSuiteVector(_ vector: Vector) {
        var request = SigV4Signer.Request(
            method: vector.method, path: vector.path, query: vector.query, headers: [("Host", "example.amazonaws.com")] + vector.headers)
        Self.suiteSigner.sign(&request, payloadHash: Hex.lowercase(LibCrypto.sha256(Array(vector.body.utf8))), date: Self.suiteDate)
        let authorization = request.headers.last { $0.name == "authorization" }?.value
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=\(vector.signedHeaders), "
                + "Signature=\(vector.signature)")
        #expect(request.headers.contains { $0.name == "x-amz-date" && $0.value == "20150830T123600Z" })
    }

    static let s3Signer = SigV4Signer(
        credentials: .init(accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1")
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z

    /// S3's "GET Object" example of header authentication: the first ten bytes of examplebucket/test.txt.
    @Test func s3HeaderExample() {
        var request = SigV4Signer.Request(
            method: "GET", path: "/test.txt", headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")])
        Self.s3Signer.sign(&request, payloadHash: SigV4Signer.emptyPayloadHash, date: Self.s3Date)
        #expect(SigV4Signer.emptyPayloadHash == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(request.headers.contains { $0 == ("x-amz-content-sha256", SigV4Signer.emptyPayloadHash) })
        #expect(
            request.headers.last?.value
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    /// S3's example of a presigned URL: GET examplebucket/test.txt for 86,400 s.
    @Test func s3PresignedURLExample() {
        let request = SigV4Signer.Request(method: "GET", path: "/test.txt", headers: [("Host", "examplebucket.s3.amazonaws.com")])
        #expect(
            Self.s3Signer.presignedQuery(request, date: Self.s3Date, expires: 86_400)
                == "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test func s3KeysAreEncodedOnceAndTemporaryCredentialsSignTheirToken() {
        var signer = Self.s3Signer
        signer.credentials.sessionToken = "token/with+chars"
        let request = SigV4Signer.Request(method: "PUT", path: "/bucket/a b/\u{00E9}+.png", headers: [("host", "127.0.0.1:9000")])
        #expect(request.encodedPath == "/bucket/a%20b/%C3%A9%2B.png")
        let query = signer.presignedQuery(request, date: Self.s3Date, expires: 60)
        #expect(query.contains("&X-Amz-Security-Token=token%2Fwith%2Bchars&"))
        let canonical = signer.canonicalRequest(
            request, headers: SigV4Signer.canonicalHeaders(request.headers), payloadHash: SigV4Signer.unsignedPayload)
        #expect(canonical.hasPrefix("PUT\n/bucket/a%20b/%C3%A9%2B.png\n"))
        // A different time, key or path gives another signature.
        #expect(signer.presignedQuery(request, date: Self.s3Date + 1, expires: 60) != query)
        var other = request
        other.path = "/bucket/a b/e+.png"
        #expect(signer.presignedQuery(other, date: Self.s3Date, expires: 60) != query)
    }
}
