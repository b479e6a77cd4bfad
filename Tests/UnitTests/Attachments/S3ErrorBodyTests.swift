import Foundation
import Testing

@testable import MsgLib

/// S3's XML error bodies, real and hostile.
@Suite struct S3ErrorBodyTests {
    @Test func awsSignatureError() throws {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256
            20231114T221320Z</StringToSign><RequestId>4442587FB7D0A2F9</RequestId></Error>
            """
        let error = try #require(S3ErrorBody(Array(body.utf8)))
        #expect(error.code == "SignatureDoesNotMatch")
        #expect(error.message?.hasPrefix("The request signature we calculated does not match") == true)
        #expect(error.message?.contains("AKIDEXAMPLE") == false)
    }

    @Test func entitiesAndCDATA() throws {
        let error = try #require(S3ErrorBody(Array("<Error><Code>X</Code><Message>a &lt;b&gt; &amp; &quot;c&quot;</Message></Error>".utf8)))
        #expect(error.message == "a b & \"c\"")
        let cdata = try #require(S3ErrorBody(Array("<Error><Code><![CDATA[NoSuchKey]]></Code></Error>".utf8)))
        #expect(cdata.code == "NoSuchKey" && cdata.message == nil)
    }

    @Test func hostileBodies() throws {
        for body in ["", "not xml", "<Error>", "<Error><Code></Code></Error>", "<Error><Code>X</Error>", "<html><Code>X</Code></html>", "\u{0}\u{1}"]
        {
            #expect(S3ErrorBody(Array(body.utf8)) == nil, "\(body)")
        }
        #expect(S3ErrorBody(Array(repeating: 0xFF, count: 1_000_000)) == nil)
        // Control characters and line breaks become spaces; a huge value is cut.
        let controls = try #require(
            S3ErrorBody(Array("<Error><Code>A\u{1B}[31m\r\nB</Code><Message>\(String(repeating: "m", count: 5000))</Message></Error>".utf8)))
        #expect(controls.code == "A [31m B")
        #expect(controls.message.map { $0.count <= S3ErrorBody.maxValueLength + 1 } == true)
        // What lies beyond the first 64 KiB is not read.
        let late = Array((String(repeating: " ", count: S3ErrorBody.maxBodyBytes) + "<Error><Code>X</Code></Error>").utf8)
        #expect(S3ErrorBody(late) == nil)
    }
}
