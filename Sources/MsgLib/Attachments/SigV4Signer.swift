import Foundation

/// AWS Signature Version 4 on libcrypto's HMAC-SHA256 and SHA-256: the `Authorization` header of a request to S3 (or
/// any service) and presigned URLs that carry the signature in their query, as AWS documents them ("Create a signed
/// AWS API request"; S3's "Authenticating Requests: Using Query Parameters"). Pure: the time is given, nothing is sent.
package struct SigV4Signer: Sendable {
    /// An access key, its secret, and the session token of temporary credentials.
    package struct Credentials: Sendable, Equatable {
        package var accessKeyId: String
        package var secretAccessKey: String
        package var sessionToken: String?

        package init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyId = accessKeyId
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    /// A request to sign. `path` is not percent-encoded: an S3 key as it is, `/` between segments; the encoded path to
    /// send is ``encodedPath``. `headers` include `host`; names in any case.
    package struct Request: Sendable {
        package var method: String
        package var path: String
        package var query: [(name: String, value: String)]
        package var headers: [(name: String, value: String)]

        package init(method: String, path: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)]) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
        }

        /// The path as it goes on the request line: each byte but unreserved ones and `/` percent-encoded.
        package var encodedPath: String { SigV4Signer.percentEncoded(path, keepingSlash: true) }

        /// The query as it goes on the request line, in canonical order.
        package var encodedQuery: String { SigV4Signer.canonicalQuery(query) }
    }

    /// The payload hash of a presigned URL, and of a request whose body is not signed.
    package static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// The hex SHA-256 of an empty body.
    package static let emptyPayloadHash = Hex.lowercase(LibCrypto.sha256([]))

    package var credentials: Credentials
    package var region: String
    package var service: String

    package init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Signs `request` sent at `date` with a body whose hex SHA-256 is `payloadHash` (or ``unsignedPayload``): adds
    /// `x-amz-date`, for S3 `x-amz-content-sha256`, `x-amz-security-token` with temporary credentials, and
    /// `authorization`, replacing any of them already there.
    package func sign(_ request: inout Request, payloadHash: String, date: Date) {
        let stamp = Self.timestamp(date)
        var added = [("x-amz-date", stamp.full)]
        if service == "s3" { added.append(("x-amz-content-sha256", payloadHash)) }
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        let replaced = Set(added.map(\.0) + ["authorization"])
        request.headers.removeAll { replaced.contains($0.name.lowercased()) }
        request.headers += added.map { (name: $0.0, value: $0.1) }
        let headers = Self.canonicalHeaders(request.headers)
        let canonical = canonicalRequest(request, headers: headers, payloadHash: payloadHash)
        let scope = self.scope(day: stamp.day)
        let signature = self.signature(of: canonical, timestamp: stamp, scope: scope)
        request.headers.append(
            (
                name: "authorization",
                value: "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(headers.signed), Signature=\(signature)"
            ))
    }

    /// The query of a presigned URL for `request` made at `date`, valid `expires` seconds (1 to 604,800): the
    /// request's own query and the `X-Amz-*` parameters, in canonical order, ending with `X-Amz-Signature`. Every
    /// header of `request` is signed (the client must send them as given); the payload is not.
    package func presignedQuery(_ request: Request, date: Date, expires: Int) -> String {
        precondition((1...604_800).contains(expires), "a presigned URL lasts 1 s to 7 days")
        let stamp = Self.timestamp(date)
        let scope = self.scope(day: stamp.day)
        let headers = Self.canonicalHeaders(request.headers)
        var presigned = request
        presigned.query += [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope)"),
            ("X-Amz-Date", stamp.full), ("X-Amz-Expires", String(expires)), ("X-Amz-SignedHeaders", headers.signed),
        ]
        if let token = credentials.sessionToken { presigned.query.append(("X-Amz-Security-Token", token)) }
        let canonical = canonicalRequest(presigned, headers: headers, payloadHash: Self.unsignedPayload)
        let signature = self.signature(of: canonical, timestamp: stamp, scope: scope)
        return presigned.encodedQuery + "&X-Amz-Signature=" + signature
    }

    // MARK: - The steps

    /// The canonical request (step 1 of AWS's description). The path is encoded once, as S3 signs it (other AWS
    /// services encode the path of the request line again; the path here is the unencoded one).
    func canonicalRequest(_ request: Request, headers: (canonical: String, signed: String), payloadHash: String) -> String {
        let uri = request.encodedPath
        return [request.method, uri.isEmpty ? "/" : uri, request.encodedQuery, headers.canonical, headers.signed, payloadHash]
            .joined(separator: "\n")
    }

    /// The string to sign (step 2) and its signature with the day's derived key (steps 3 and 4), in hex.
    func signature(of canonicalRequest: String, timestamp: (full: String, day: String), scope: String) -> String {
        let stringToSign = ["AWS4-HMAC-SHA256", timestamp.full, scope, Hex.lowercase(LibCrypto.sha256(Array(canonicalRequest.utf8)))]
            .joined(separator: "\n")
        var key = LibCrypto.hmacSHA256(key: Array("AWS4\(credentials.secretAccessKey)".utf8), data: Array(timestamp.day.utf8))
        for part in [region, service, "aws4_request"] { key = LibCrypto.hmacSHA256(key: key, data: Array(part.utf8)) }
        return Hex.lowercase(LibCrypto.hmacSHA256(key: key, data: Array(stringToSign.utf8)))
    }

    func scope(day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    /// Lowercased names in order, each once (values of a repeated name joined by commas), values trimmed with runs of
    /// spaces made one; and the signed-headers list.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (canonical: String, signed: String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let collapsed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            values[name.lowercased(), default: []].append(collapsed.trimmingCharacters(in: .whitespaces))
        }
        let names = values.keys.sorted()
        let canonical = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    /// Name-value pairs percent-encoded, sorted by name then value, joined with `&`.
    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { pair in
            (percentEncoded(pair.name, keepingSlash: false), percentEncoded(pair.value, keepingSlash: false))
        }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { pair in pair.name + "=" + pair.value }.joined(separator: "&")
    }

    /// RFC 3986 encoding of UTF-8: every byte but `A-Z a-z 0-9 - . _ ~` (and `/` when kept) as `%XX`.
    package static func percentEncoded(_ text: String, keepingSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if unreserved[Int(byte)] || (keepingSlash && byte == UInt8(ascii: "/")) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// Whether each byte is unreserved in RFC 3986.
    private static let unreserved: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8 { table[Int(byte)] = true }
        return table
    }()

    /// `YYYYMMDD'T'HHMMSS'Z'` and `YYYYMMDD` in UTC.
    static func timestamp(_ date: Date) -> (full: String, day: String) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { String(value).leftPadded(to: 2) }
        let day = String(parts.tm_year + 1900).leftPadded(to: 4) + two(parts.tm_mon + 1) + two(parts.tm_mday)
        return (day + "T" + two(parts.tm_hour) + two(parts.tm_min) + two(parts.tm_sec) + "Z", day)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
