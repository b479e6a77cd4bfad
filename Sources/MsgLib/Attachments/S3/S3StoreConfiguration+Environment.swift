import Foundation

extension S3StoreConfiguration {
    /// Reads the configuration from the environment; each bad value is a ``ConfigurationError`` naming the setting.
    ///
    /// - `ATTACHMENT_STORE`: `s3://BUCKET[/PREFIX]`.
    /// - `AWS_REGION` (required): the bucket's region ("us-east-1"; "auto" for R2).
    /// - `AWS_ENDPOINT_URL`: the service's `https://host[:port]` when it is not AWS (MinIO, Ceph, R2...). `http` only
    ///   for a loopback host or with `ATTACHMENT_STORE_ALLOW_HTTP=true`: presigned URLs and files would cross the
    ///   network in clear.
    /// - `AWS_S3_FORCE_PATH_STYLE`: "true" for path-style URLs (`endpoint/bucket/key`), needed by most MinIO set-ups,
    ///   endpoints given as an IP address, and buckets with dots in their name over https. Default: virtual-hosted.
    /// - `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (required), `AWS_SESSION_TOKEN` (temporary credentials).
    package static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> S3StoreConfiguration {
        func value(_ name: String) -> String? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        let (bucket, prefix) = try parseStore(value("ATTACHMENT_STORE") ?? "")
        guard let region = value("AWS_REGION") else {
            throw ConfigurationError("AWS_REGION must be set for an s3:// ATTACHMENT_STORE (the bucket's region, e.g. us-east-1; auto for R2)")
        }
        guard region.utf8.count <= 64, region.utf8.allSatisfy({ isLowercaseAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else {
            throw ConfigurationError(
                "AWS_REGION must be a region name such as eu-west-1 (lowercase letters, digits and hyphens), not \"\(printable(region))\"")
        }
        let allowHTTP = try flag("ATTACHMENT_STORE_ALLOW_HTTP", value("ATTACHMENT_STORE_ALLOW_HTTP"))
        let endpoint = try value("AWS_ENDPOINT_URL").map { text throws(ConfigurationError) in try parseEndpoint(text, allowHTTP: allowHTTP) }
        let pathStyle = try flag("AWS_S3_FORCE_PATH_STYLE", value("AWS_S3_FORCE_PATH_STYLE"))
        let credentials = try readCredentials(value)
        let configuration = S3StoreConfiguration(
            bucket: bucket, prefix: prefix, region: region, endpoint: endpoint, pathStyle: pathStyle, credentials: credentials)
        if !pathStyle {
            if configuration.endpoint.hostIsAddress {
                throw ConfigurationError(
                    "AWS_ENDPOINT_URL is an IP address, which cannot carry the bucket in its host name: set AWS_S3_FORCE_PATH_STYLE=true")
            }
            if bucket.contains(".") && configuration.endpoint.scheme == "https" {
                throw ConfigurationError(
                    "the bucket name \"\(bucket)\" has dots, which the service's TLS certificate does not cover in virtual-hosted style: set AWS_S3_FORCE_PATH_STYLE=true"
                )
            }
        }
        return configuration
    }

    /// `s3://BUCKET[/PREFIX]` into the bucket and the prefix ("" or ending with "/").
    static func parseStore(_ text: String) throws(ConfigurationError) -> (bucket: String, prefix: String) {
        let scheme = "s3://"
        guard text.lowercased().hasPrefix(scheme) else {
            throw ConfigurationError("ATTACHMENT_STORE must be s3://BUCKET[/PREFIX] here, not \"\(printable(text))\"")
        }
        let rest = text.dropFirst(scheme.count)
        guard !rest.contains("?"), !rest.contains("#") else {
            throw ConfigurationError("ATTACHMENT_STORE must be s3://BUCKET[/PREFIX], without a query or fragment")
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let bucket = String(rest[..<slash])
        try checkBucket(bucket)
        let path = rest[slash...].drop { $0 == "/" }
        var prefix = path.hasSuffix("/") ? String(path.dropLast()) : String(path)
        if !prefix.isEmpty {
            let segments = prefix.split(separator: "/", omittingEmptySubsequences: false)
            guard prefix.utf8.count <= 512, segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
                prefix.utf8.allSatisfy({ isSafeKeyByte($0) || $0 == UInt8(ascii: "/") })
            else {
                throw ConfigurationError(
                    "the prefix of ATTACHMENT_STORE must be up to 512 characters of letters, digits and !-_.*'() in segments separated by single slashes, without . or .. segments: \"\(printable(String(path)))\""
                )
            }
            prefix += "/"
        }
        return (bucket, prefix)
    }

    /// S3's bucket naming rules: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter
    /// or digit, no two dots in a row, not an IP address.
    static func checkBucket(_ bucket: String) throws(ConfigurationError) {
        let bytes = Array(bucket.utf8)
        let rule = "3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
        guard (3...63).contains(bytes.count), bytes.allSatisfy({ isLowercaseAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }),
            let first = bytes.first, let last = bytes.last, isLowercaseAlphanumeric(first), isLowercaseAlphanumeric(last),
            !bucket.contains(".."), !bucket.contains(".-"), !bucket.contains("-.")
        else {
            throw ConfigurationError("the bucket of ATTACHMENT_STORE must be \(rule), not \"\(printable(bucket))\"")
        }
        guard IPAddress(ipv4: bucket) == nil else {
            throw ConfigurationError("the bucket of ATTACHMENT_STORE must not be an IP address (\"\(bucket)\")")
        }
    }

    /// `AWS_ENDPOINT_URL`: `https://host[:port]` (or `http` for loopback, or when allowed), with nothing after the
    /// authority but a slash.
    static func parseEndpoint(_ text: String, allowHTTP: Bool) throws(ConfigurationError) -> Endpoint {
        let policy = EndpointPolicy(allowInsecure: true, field: "AWS_ENDPOINT_URL")
        let url: EndpointURL
        do { url = try policy.check(url: text) } catch { throw ConfigurationError(error.description) }
        guard let separator = text.range(of: "://") else { throw ConfigurationError("AWS_ENDPOINT_URL must be an absolute URL") }
        let afterAuthority = text[separator.upperBound...].drop { !["/", "?", "#"].contains($0) }
        guard afterAuthority.isEmpty || afterAuthority == "/" else {
            throw ConfigurationError(
                "AWS_ENDPOINT_URL must be scheme://host[:port] without a path, query or fragment (the bucket goes in the host or, with AWS_S3_FORCE_PATH_STYLE=true, the path)"
            )
        }
        let host = url.host.lowercased()
        let bare = host.hasSuffix(".") ? String(host.dropLast()) : host
        let loopback =
            bare == "localhost" || bare.hasSuffix(".localhost")
            || (IPAddress(ipv4: bare) ?? IPAddress(ipv6: bare))?.nonPublicReason == "a loopback address"
        if url.scheme == "http" && !loopback && !allowHTTP {
            throw ConfigurationError(
                "AWS_ENDPOINT_URL must be https unless its host is loopback: presigned URLs and files would cross the network unencrypted (ATTACHMENT_STORE_ALLOW_HTTP=true allows it on a network you trust)"
            )
        }
        let defaultPort = url.scheme == "https" ? 443 : 80
        return Endpoint(scheme: url.scheme, host: bare, port: url.port == defaultPort ? nil : url.port)
    }

    static func readCredentials(_ value: (String) -> String?) throws(ConfigurationError) -> SigV4Signer.Credentials {
        guard let keyId = value("AWS_ACCESS_KEY_ID") else {
            throw ConfigurationError("AWS_ACCESS_KEY_ID must be set for an s3:// ATTACHMENT_STORE")
        }
        guard keyId.utf8.count <= 128, keyId.utf8.allSatisfy({ isLowercaseAlphanumeric($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
        else { throw ConfigurationError("AWS_ACCESS_KEY_ID must be up to 128 letters and digits") }
        guard let secret = value("AWS_SECRET_ACCESS_KEY") else {
            throw ConfigurationError("AWS_SECRET_ACCESS_KEY must be set for an s3:// ATTACHMENT_STORE")
        }
        // The values themselves are never repeated in messages.
        guard secret.utf8.count <= 256, secret.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ConfigurationError("AWS_SECRET_ACCESS_KEY must be up to 256 printable ASCII characters without spaces")
        }
        let token = value("AWS_SESSION_TOKEN")
        if let token, !(token.utf8.count <= 4096 && token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })) {
            throw ConfigurationError("AWS_SESSION_TOKEN must be up to 4096 printable ASCII characters without spaces")
        }
        return SigV4Signer.Credentials(accessKeyId: keyId, secretAccessKey: secret, sessionToken: token)
    }

    static func flag(_ name: String, _ text: String?) throws(ConfigurationError) -> Bool {
        switch text?.lowercased() {
        case nil, "false", "0": false
        case "true", "1": true
        case let other?: throw ConfigurationError("\(name) must be true or false, not \"\(printable(other))\"")
        }
    }

    /// Characters S3 documents as safe in keys: letters, digits and `!-_.*'()`.
    static func isSafeKeyByte(_ byte: UInt8) -> Bool {
        isLowercaseAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || Array("!-_.*'()".utf8).contains(byte)
    }

    private static func isLowercaseAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// `text` with control characters escaped and cut to 100 characters, for error messages.
    private static func printable(_ text: String) -> String {
        let cut = text.unicodeScalars.prefix(100).map {
            $0.properties.generalCategory == .control ? "\\u{\(String($0.value, radix: 16))}" : String($0)
        }
        return cut.joined() + (text.unicodeScalars.count > 100 ? "…" : "")
    }
}
