import Foundation

/// Where and how the relay reaches an S3-compatible bucket (AWS S3, MinIO, Ceph, Cloudflare R2...): the bucket, the
/// key prefix under which the relay keeps attachments, the region and endpoint, the addressing style and the
/// credentials. Built from the environment by ``fromEnvironment(_:)``; every value is checked there.
package struct S3StoreConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// Scheme, host and port of the S3 service (without the bucket).
    package struct Endpoint: Sendable, Equatable {
        /// "https", or "http" for a loopback endpoint or when explicitly allowed.
        package var scheme: String
        /// A lowercased host name, or an IP address (IPv6 without brackets).
        package var host: String
        /// Nil for the scheme's default port.
        package var port: Int?

        package init(scheme: String, host: String, port: Int? = nil) {
            self.scheme = scheme
            self.host = host
            self.port = port
        }

        /// Whether ``host`` is an IP address rather than a name.
        package var hostIsAddress: Bool { IPAddress(ipv4: host) != nil || IPAddress(ipv6: host) != nil }

        /// `host[:port]` as it goes in a URL and the `Host` header (IPv6 in brackets, no default port).
        package var authority: String {
            let name = IPAddress(ipv6: host) != nil ? "[\(host)]" : host
            return port.map { "\(name):\($0)" } ?? name
        }
    }

    package var bucket: String
    /// The keys' common prefix: empty or ending with "/".
    package var prefix: String
    package var region: String
    package var endpoint: Endpoint
    /// Path-style addressing (`endpoint/bucket/key`) instead of virtual-hosted style (`bucket.endpoint/key`).
    package var pathStyle: Bool
    package var credentials: SigV4Signer.Credentials

    package init(
        bucket: String, prefix: String = "", region: String, endpoint: Endpoint? = nil, pathStyle: Bool = false,
        credentials: SigV4Signer.Credentials
    ) {
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.endpoint = endpoint ?? Self.awsEndpoint(region: region)
        self.pathStyle = pathStyle
        self.credentials = credentials
    }

    /// AWS's regional endpoint, `https://s3.REGION.amazonaws.com`.
    package static func awsEndpoint(region: String) -> Endpoint {
        Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com")
    }

    /// Where requests about `key` (a key under ``prefix``, the prefix included) go: the `Host` header, the origin
    /// (`scheme://host[:port]`) and the unencoded path (sign it, send ``SigV4Signer/Request/encodedPath``).
    package func location(ofObject key: String) -> (host: String, origin: String, path: String) {
        let host = pathStyle ? endpoint.authority : "\(bucket).\(endpoint.authority)"
        let path = pathStyle ? "/\(bucket)/\(key)" : "/\(key)"
        return (host, "\(endpoint.scheme)://\(host)", path)
    }

    /// The configuration without the secrets, for logs.
    package var description: String {
        let style = pathStyle ? "path-style" : "virtual-hosted"
        return "s3://\(bucket)/\(prefix) in \(region) at \(endpoint.scheme)://\(endpoint.authority) (\(style), key \(credentials.accessKeyId))"
    }
}
