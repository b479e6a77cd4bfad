import Foundation

extension AttachmentConfiguration {
    /// Reads the attachment settings from the environment.
    ///
    /// - `ATTACHMENT_STORE`: `local:/absolute/path` or `s3://bucket[/prefix]` (with the `AWS_*` settings of
    ///   ``S3StoreConfiguration/fromEnvironment(_:)``); unset turns attachments off
    /// - `AWS_S3_BUCKET`: the design's name for the bucket; alone it means `ATTACHMENT_STORE=s3://bucket`, beside
    ///   `ATTACHMENT_STORE` it must name the same bucket
    /// - `ATTACHMENT_MAX_BYTES` (10485760), `ATTACHMENT_TYPES` (comma list; default PNG, JPEG, GIF, WebP, PDF, plain text)
    /// - `ATTACHMENT_UPLOAD_URL_SECONDS` (900), `ATTACHMENT_DOWNLOAD_URL_SECONDS` (300)
    /// - `ATTACHMENT_PENDING_SECONDS` (86400): unattached uploads are removed after this long;
    ///   `ATTACHMENT_COLLECT_INTERVAL_SECONDS` (600): how often the relay looks
    /// - `ATTACHMENT_MAX_PENDING_PER_USER` (20), `ATTACHMENT_RATE_LIMIT_PER_HOUR` (60; 0 turns it off)
    /// - `ATTACHMENT_SIGNING_KEY`: at least 32 characters; default derived from `jwtSecret`
    /// - `ATTACHMENT_PUBLIC_URL`: the relay's address as clients see it, for the local store's URLs
    public static func fromEnvironment(_ environment: [String: String], jwtSecret: String?) throws(ConfigurationError)
        -> AttachmentConfiguration
    {
        func value(_ key: String) -> String? {
            guard let text = environment[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        func count(_ key: String, minimum: Int, maximum: Int) throws(ConfigurationError) -> Int? {
            guard let text = value(key) else { return nil }
            guard let number = Int(text), number >= minimum, number <= maximum else {
                throw ConfigurationError("\(key) must be a whole number from \(minimum) to \(maximum), not \"\(text)\"")
            }
            return number
        }
        var configuration = AttachmentConfiguration(
            store: try Self.storeSetting(value("ATTACHMENT_STORE"), bucket: value("AWS_S3_BUCKET")).map(Self.parseStore))
        if case .s3(let url) = configuration.store {
            var s3Environment = environment
            s3Environment["ATTACHMENT_STORE"] = url
            configuration.s3 = try S3StoreConfiguration.fromEnvironment(s3Environment)
        }
        if let bytes = try count("ATTACHMENT_MAX_BYTES", minimum: 1, maximum: 5 * 1024 * 1024 * 1024) { configuration.maxBytes = bytes }
        if let text = value("ATTACHMENT_TYPES") {
            let types = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            guard !types.isEmpty, types.allSatisfy(AttachmentPolicy.isMediaType) else {
                throw ConfigurationError("ATTACHMENT_TYPES must be a comma-separated list of media types such as image/png, not \"\(text)\"")
            }
            configuration.types = types
        }
        if let lifetime = try ConfigurationError.seconds("ATTACHMENT_UPLOAD_URL_SECONDS", value("ATTACHMENT_UPLOAD_URL_SECONDS")) {
            configuration.uploadURLLifetime = lifetime
        }
        if let lifetime = try ConfigurationError.seconds("ATTACHMENT_DOWNLOAD_URL_SECONDS", value("ATTACHMENT_DOWNLOAD_URL_SECONDS")) {
            configuration.downloadURLLifetime = lifetime
        }
        if configuration.s3 != nil {
            // What SigV4 allows a presigned URL: a longer lifetime would refuse every upload or download, not the start.
            for (name, lifetime) in [
                ("ATTACHMENT_UPLOAD_URL_SECONDS", configuration.uploadURLLifetime),
                ("ATTACHMENT_DOWNLOAD_URL_SECONDS", configuration.downloadURLLifetime),
            ] where lifetime > .seconds(604_800) {
                throw ConfigurationError("\(name) must be at most 604800 (7 days) with an S3 store: a presigned URL lasts no longer")
            }
        }
        if let lifetime = try ConfigurationError.seconds("ATTACHMENT_PENDING_SECONDS", value("ATTACHMENT_PENDING_SECONDS")) {
            configuration.pendingLifetime = lifetime
        }
        if let interval = try ConfigurationError.seconds(
            "ATTACHMENT_COLLECT_INTERVAL_SECONDS", value("ATTACHMENT_COLLECT_INTERVAL_SECONDS"))
        {
            configuration.collectInterval = interval
        }
        if let pending = try count("ATTACHMENT_MAX_PENDING_PER_USER", minimum: 1, maximum: 10_000) { configuration.maxPendingPerUser = pending }
        if let rate = try count("ATTACHMENT_RATE_LIMIT_PER_HOUR", minimum: 0, maximum: 1_000_000) { configuration.createRateLimitPerHour = rate }
        if let key = value("ATTACHMENT_SIGNING_KEY") {
            guard key.utf8.count >= 32 else { throw ConfigurationError("ATTACHMENT_SIGNING_KEY must be at least 32 characters long") }
            configuration.signingKey = Array(key.utf8)
        } else if let jwtSecret, !jwtSecret.isEmpty {
            configuration.signingKey = derivedSigningKey(jwtSecret: jwtSecret)
        }
        if let base = value("ATTACHMENT_PUBLIC_URL") {
            guard let url = URL(string: base), url.scheme == "http" || url.scheme == "https", url.host != nil, url.query == nil else {
                throw ConfigurationError("ATTACHMENT_PUBLIC_URL must be an http(s) URL such as https://chat.example.com, not \"\(base)\"")
            }
            configuration.publicBaseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
        }
        return configuration
    }

    /// The store from `ATTACHMENT_STORE` and `AWS_S3_BUCKET`: the bucket alone is `s3://bucket`; with both, the
    /// store must be that bucket's (a site moving to the longer setting keeps its old one without two meanings).
    static func storeSetting(_ store: String?, bucket: String?) throws(ConfigurationError) -> String? {
        guard let bucket else { return store }
        guard !bucket.contains("/") else {
            throw ConfigurationError("AWS_S3_BUCKET must be a bucket's name alone (a prefix goes in ATTACHMENT_STORE=s3://bucket/prefix)")
        }
        guard let store else { return "s3://\(bucket)" }
        let named = store.hasPrefix("s3://") ? store.dropFirst(5).prefix { $0 != "/" } : nil
        guard named.map({ String($0) == bucket }) ?? false else {
            throw ConfigurationError(
                "AWS_S3_BUCKET=\(bucket) and ATTACHMENT_STORE=\(store) name different stores: set one of them, or the same bucket in both")
        }
        return store
    }

    /// `local:/absolute/path` or `s3://bucket[/prefix]`.
    static func parseStore(_ text: String) throws(ConfigurationError) -> StoreLocation {
        if text.hasPrefix("local:") {
            let path = String(text.dropFirst(6))
            guard path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                throw ConfigurationError("ATTACHMENT_STORE local: needs an absolute folder path, e.g. local:/var/lib/msgrelay/attachments")
            }
            return .local(path: path)
        }
        if text.hasPrefix("s3://"), text.count > 5 { return .s3(url: text) }
        throw ConfigurationError("ATTACHMENT_STORE must be local:/path or s3://bucket[/prefix], not \"\(text)\"")
    }
}
