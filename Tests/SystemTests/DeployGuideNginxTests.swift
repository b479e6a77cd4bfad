import Foundation
import Testing

/// docs/deploy.md's nginx example keeps bearer tokens out of the access log: web clients put them in the URL of
/// the WebSocket (`?token=`). No nginx here, so the example's `map` is applied with the same regular expression
/// (PCRE and ICU agree on this one) and its logging lines are checked.
@Suite struct DeployGuideNginxTests {
    /// The ```nginx block of docs/deploy.md.
    static func example() throws -> String {
        let guide = try String(contentsOf: ShippedDocsTests.root.appendingPathComponent("docs/deploy.md"), encoding: .utf8)
        let start = try #require(guide.range(of: "```nginx\n"))
        let end = try #require(guide.range(of: "```", range: start.upperBound..<guide.endIndex))
        return String(guide[start.upperBound..<end.lowerBound])
    }

    /// The `map $request $NAME { "~REGEX" "REPLACEMENT"; default $request; }` of the example.
    static func map(in example: String) throws -> (variable: String, pattern: String, replacement: String) {
        let map = try #require(
            try Regex(#"map \$request \$(\w+) \{\n\s*"~([^"]+)" "([^"]+)";\n\s*default \$request;\n\s*\}"#).firstMatch(in: example))
        return (
            String(try #require(map.output[1].substring)), String(try #require(map.output[2].substring)),
            String(try #require(map.output[3].substring))
        )
    }

    /// What nginx logs for `request` through the map: the replacement with its `${name}` captures filled in, or the
    /// request as it is when the pattern does not match.
    static func logged(_ request: String, pattern: String, replacement: String) throws -> String {
        let regex = try NSRegularExpression(pattern: pattern)
        guard let match = regex.firstMatch(in: request, range: NSRange(request.startIndex..., in: request)) else { return request }
        var out = replacement
        for name in ["before", "after"] {
            let range = try #require(Range(match.range(withName: name), in: request))
            out = out.replacingOccurrences(of: "${\(name)}", with: request[range])
        }
        #expect(!out.contains("${"), "a capture the test does not know: \(replacement)")
        return out
    }

    /// Everything a browser asks the relay for is proxied: the API, the WebSocket, the bundled client and a local
    /// attachment store's signed URLs.
    @Test func everyPathBrowsersUseIsProxied() throws {
        let example = try Self.example()
        for location in ["location /api/ {", "location /ws/ {", "location /client/ {", "location /attachments/local/ {", "location = /healthz {"] {
            #expect(example.contains(location), "the example does not proxy \(location)")
        }
        // Uploads stream through, and may be as large as the largest attachment.
        let uploads = try #require(example.range(of: "location /attachments/local/ {"))
        let block = example[uploads.upperBound...].prefix { $0 != "}" }
        #expect(block.contains("proxy_request_buffering off;") && block.contains("client_max_body_size 11m;"))
    }

    @Test func theAccessLogNeverHoldsAToken() throws {
        let example = try Self.example()
        let (variable, pattern, replacement) = try Self.map(in: example)
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
        for request in [
            "GET /ws/messages?token=\(token) HTTP/1.1", "GET /ws/messages?cursor=812345.5.1-3&token=\(token) HTTP/1.1",
            "GET /ws/messages?token=\(token)&last_message_id=0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b HTTP/1.1",
            "GET /ws/messages?last_message_id=x&token=\(token)&token=\(token) HTTP/1.1",
        ] {
            let line = try Self.logged(request, pattern: pattern, replacement: replacement)
            #expect(!line.contains("eyJ"), "\(request) is logged as \(line)")
            #expect(line == "GET /ws/messages?REDACTED HTTP/1.1")
        }
        // Requests without a token are logged as they are.
        for request in ["GET /api/conversations?page=2 HTTP/1.1", "GET /ws/messages?cursor=1 HTTP/1.1", "GET /healthz HTTP/1.1"] {
            #expect(try Self.logged(request, pattern: pattern, replacement: replacement) == request)
        }

        // The log format uses the mapped request line and nothing else that carries the query string.
        let format = try #require(try Regex(#"log_format (\w+) ((?:'[^']*'\s*)+);"#).firstMatch(in: example))
        let formatText = String(try #require(format.output[2].substring))
        #expect(formatText.contains("$\(variable)"))
        for leak in ["$request\"", "$request ", "$request'", "$request_uri", "$args", "$query_string", "$arg_token", "$uri?"] {
            #expect(!formatText.contains(leak), "the log format logs \(leak)")
        }
        // Every access log of the server uses it (or is off).
        let accessLogs = example.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("access_log") }
        #expect(!accessLogs.isEmpty)
        for line in accessLogs {
            #expect(line.hasSuffix(" \(format.output[1].substring ?? "");") || line.hasSuffix("access_log off;"), "\(line)")
        }
    }

    @Test func theGuideNoLongerSaysTheWebSocketIsNotServed() throws {
        let guide = try String(contentsOf: ShippedDocsTests.root.appendingPathComponent("docs/deploy.md"), encoding: .utf8)
        #expect(!guide.contains("does not serve yet"))
    }
}
