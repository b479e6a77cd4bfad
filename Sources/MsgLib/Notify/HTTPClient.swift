import CCurl
import Foundation
import Glibc
import NIOPosix
import Synchronization

/// Outbound HTTP(S) on libcurl, for Web Push services and Slack webhooks. Every libcurl pointer of the project
/// lives in this file.
///
/// Safe to use from several threads at once. Each call borrows a session (a curl multi handle with its
/// connection cache, and its easy handles) that no other call uses meanwhile, and gives it back afterwards,
/// so connections (and TLS sessions) are reused by later calls.
///
/// Every request: no redirects followed, no proxy from the environment, `https` only (also `http` when
/// ``Configuration/allowInsecure``), TLS peer and host verification on, a timeout, User-Agent "msgrelay", and
/// the response body capped at ``Configuration/maxResponseBodyBytes`` (the rest is read and discarded).
///
/// The synchronous `send` methods block the calling thread: never call them from Swift's cooperative pool
/// (it has only 2 threads here) or an event loop. The `async` ones run them on a small thread pool of their own.
package final class HTTPClient: Sendable {
    /// The request methods the client sends.
    package enum Method: String, Sendable {
        case get = "GET"
        case head = "HEAD"
        case post = "POST"
        case put = "PUT"
        case patch = "PATCH"
        case delete = "DELETE"
    }

    /// One request.
    package struct Request: Sendable {
        /// An absolute `https` URL (or `http` under ``Configuration/allowInsecure``).
        package var url: String
        package var method: Method
        /// Sent in this order. Without a `Content-Type`, none is sent (libcurl's form default is removed).
        package var headers: [(name: String, value: String)]
        package var body: [UInt8]
        /// The whole exchange, from connecting to the last byte of the response; at least 1 ms.
        package var timeout: Duration
        /// Where to connect, whatever DNS says: the address ``EndpointPolicy/resolve(url:)`` checked. It must be
        /// for this URL's host and port, or the request is refused.
        package var pinnedAddress: ResolvedAddress?
        /// Sent on a new connection: for a request that must not be made twice. libcurl sends a request again by
        /// itself when a reused connection closes before any answer, which is also how an answer is lost after the
        /// server acted on the request.
        package var freshConnection: Bool

        package init(
            url: String, method: Method = .post, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
            timeout: Duration = .seconds(10), pinnedAddress: ResolvedAddress? = nil, freshConnection: Bool = false
        ) {
            self.url = url
            self.method = method
            self.headers = headers
            self.body = body
            self.timeout = timeout
            self.pinnedAddress = pinnedAddress
            self.freshConnection = freshConnection
        }
    }

    /// A response, whatever its status (a 302 or a 500 is a response, not an error).
    package struct Response: Sendable {
        package var status: Int
        /// The response's header fields in the order received.
        package var headers: [(name: String, value: String)]
        /// At most ``Configuration/maxResponseBodyBytes`` bytes of the body.
        package var body: [UInt8]
        /// Whether the body was longer than what ``body`` holds.
        package var bodyTruncated: Bool

        package init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], bodyTruncated: Bool = false) {
            self.status = status
            self.headers = headers
            self.body = body
            self.bodyTruncated = bodyTruncated
        }

        /// The value of the first header field called `name`, compared case-insensitively.
        package func header(_ name: String) -> String? {
            let wanted = name.lowercased()
            return headers.first { $0.name.lowercased() == wanted }?.value
        }

        /// The body as UTF-8 text (invalid bytes replaced).
        package var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    /// How the client behaves; the defaults suit production.
    package struct Configuration: Sendable {
        /// Allow `http` URLs besides `https` (PUSH_ALLOW_INSECURE_ENDPOINTS, tests only). Default false.
        package var allowInsecure: Bool
        /// Default "msgrelay".
        package var userAgent: String
        /// Response bodies are cut to this many bytes. Default 64 KiB.
        package var maxResponseBodyBytes: Int
        /// Idle sessions (each with its own connection cache) kept for later calls. Default 4.
        package var maxIdleSessions: Int
        /// Connections one call (one session) has open at once, to all hosts (`CURLMOPT_MAX_TOTAL_CONNECTIONS`);
        /// further requests wait for one to be free, within their timeout. Default 32, a round of the outbox.
        package var maxConnections: Int
        /// Connections one call has open at once to one host (`CURLMOPT_MAX_HOST_CONNECTIONS`): a batch of
        /// subscriptions on one push service cannot open more (HTTP/2 services multiplex over them). Default 16.
        package var maxConnectionsPerHost: Int
        /// Idle connections a session keeps for later calls (`CURLMOPT_MAXCONNECTS`), whatever the batch sizes.
        /// Default 32.
        package var connectionCacheSize: Int

        package init(
            allowInsecure: Bool = false, userAgent: String = "msgrelay", maxResponseBodyBytes: Int = 64 * 1024, maxIdleSessions: Int = 4,
            maxConnections: Int = 32, maxConnectionsPerHost: Int = 16, connectionCacheSize: Int = 32
        ) {
            self.allowInsecure = allowInsecure
            self.userAgent = userAgent
            self.maxResponseBodyBytes = maxResponseBodyBytes
            self.maxIdleSessions = maxIdleSessions
            self.maxConnections = maxConnections
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.connectionCacheSize = connectionCacheSize
        }
    }

    package let configuration: Configuration
    private let idleSessions = Mutex<[CurlSession]>([])

    package init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// A client that allows `http` exactly when `policy` does.
    package convenience init(policy: EndpointPolicy) {
        self.init(configuration: Configuration(allowInsecure: policy.allowInsecure))
    }

    /// Performs one request, blocking the calling thread until it is done or has timed out.
    /// - Throws: ``HTTPClientError`` when no response arrived; any HTTP status is a response.
    package func send(_ request: Request) throws(HTTPClientError) -> Response {
        try send([request])[0].get()
    }

    /// Performs `requests` concurrently on the calling thread (libcurl's multi interface), blocking until all
    /// are done or have timed out.
    /// - Returns: one result per request, in the order of `requests`.
    package func send(_ requests: [Request]) -> [Result<Response, HTTPClientError>] {
        guard !requests.isEmpty else { return [] }
        guard curlReady, let session = idleSessions.withLock({ $0.popLast() }) ?? CurlSession(configuration) else {
            return requests.map { _ in .failure(HTTPClientError(.other, "libcurl could not be initialised")) }
        }
        let results = session.perform(requests, configuration)
        let surplus: CurlSession? = idleSessions.withLock { sessions in
            guard sessions.count < configuration.maxIdleSessions else { return session }
            sessions.append(session)
            return nil
        }
        _ = surplus  // released here, outside the lock
        return results
    }

    /// The blocking batch `send` on a thread of the client's pool, so the caller's thread is not blocked.
    ///
    /// Not cancellable: the requests' timeouts bound how long it takes.
    package func send(_ requests: [Request]) async -> [Result<Response, HTTPClientError>] {
        guard !requests.isEmpty else { return [] }
        do {
            return try await Self.blockingThreads.runIfActive { self.send(requests) }
        } catch {
            return requests.map { _ in .failure(HTTPClientError(.other, "the HTTP client's threads are not running: \(error)")) }
        }
    }

    /// One request without blocking the caller's thread.
    package func send(_ request: Request) async throws(HTTPClientError) -> Response {
        try await send([request])[0].get()
    }

    /// Threads for the blocking work behind the `async` methods (4: up to four batches at once, the rest wait).
    private static let blockingThreads: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()
}

/// Why a request got no response. `description` says what happened, without the URL's path or query (a push
/// endpoint's path is a secret of its subscriber).
package struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    package struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String { case invalidURL, invalidRequest, refusedDestination, timeout, connection, other }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The URL cannot be parsed.
        package static let invalidURL = Kind(.invalidURL)
        /// A header name or value cannot be sent (a line break, a colon in a name...).
        package static let invalidRequest = Kind(.invalidRequest)
        /// The scheme is not allowed, or the pinned address is for another host.
        package static let refusedDestination = Kind(.refusedDestination)
        /// No complete response within the request's timeout.
        package static let timeout = Kind(.timeout)
        /// The host could not be resolved or reached, TLS failed, or the connection broke.
        package static let connection = Kind(.connection)
        /// Anything else.
        package static let other = Kind(.other)

        package var description: String { base.rawValue }
    }

    package let kind: Kind
    package let message: String
    /// libcurl's `CURLcode`, when the failure came from a transfer.
    package let curlCode: Int?

    init(_ kind: Kind, _ message: String, curlCode: Int? = nil) {
        self.kind = kind
        self.message = message
        self.curlCode = curlCode
    }

    package var description: String { message }
}

// MARK: - libcurl

/// `curl_global_init`, once per process, before the first handle.
private let curlReady: Bool = curl_global_init(ccurl_global_all()) == CURLE_OK

/// A curl multi handle (whose connection cache outlives its transfers) and spare easy handles.
///
/// Its connections are capped, in all and per host, and its cache has a fixed size (``HTTPClient/Configuration``):
/// a batch to one push service finds its connections again in the next round instead of opening new ones, and
/// no batch, however large, opens more.
///
/// Used by one thread at a time: ``HTTPClient`` lends it to one call and takes it back; hence `@unchecked`.
private final class CurlSession: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private var spare: [Transfer] = []

    init?(_ configuration: HTTPClient.Configuration) {
        guard let multi = curl_multi_init() else { return nil }
        self.multi = multi
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(1, configuration.connectionCacheSize))
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max(1, configuration.maxConnections))
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(1, configuration.maxConnectionsPerHost))
    }

    deinit {
        // Every easy handle was removed after its transfer; the spare ones are cleaned up after the multi handle.
        curl_multi_cleanup(multi)
    }

    func perform(_ requests: [HTTPClient.Request], _ configuration: HTTPClient.Configuration) -> [Result<HTTPClient.Response, HTTPClientError>] {
        var results = [Result<HTTPClient.Response, HTTPClientError>?](repeating: nil, count: requests.count)
        var active: [UnsafeMutableRawPointer: (index: Int, transfer: Transfer)] = [:]

        for (index, request) in requests.enumerated() {
            guard let transfer = spare.popLast() ?? Transfer() else {
                results[index] = .failure(HTTPClientError(.other, "libcurl could not create a handle"))
                continue
            }
            do throws(HTTPClientError) {
                try transfer.prepare(request, configuration)
            } catch {
                results[index] = .failure(error)
                transfer.finish()
                recycle(transfer)
                continue
            }
            let added = curl_multi_add_handle(multi, transfer.handle)
            guard added == CURLM_OK else {
                results[index] = .failure(HTTPClientError(.other, "libcurl: \(String(cString: curl_multi_strerror(added)))"))
                transfer.finish()
                recycle(transfer)
                continue
            }
            active[transfer.handle] = (index, transfer)
        }

        while !active.isEmpty {
            var stillRunning: Int32 = 0
            var code = curl_multi_perform(multi, &stillRunning)
            var queued: Int32 = 0
            while code == CURLM_OK, let message = curl_multi_info_read(multi, &queued) {
                // The message is invalid once its handle is removed: read it first.
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let outcome = message.pointee.data.result
                guard let (index, transfer) = active.removeValue(forKey: easy) else { continue }
                curl_multi_remove_handle(multi, easy)
                results[index] = transfer.result(outcome)
                transfer.finish()
                recycle(transfer)
            }
            if code == CURLM_OK && !active.isEmpty {
                code = curl_multi_poll(multi, nil, 0, 1000, nil)
            }
            if code != CURLM_OK {
                let error = HTTPClientError(.other, "libcurl: \(String(cString: curl_multi_strerror(code)))")
                for (easy, entry) in active {
                    curl_multi_remove_handle(multi, easy)
                    results[entry.index] = .failure(error)
                    entry.transfer.finish()
                    recycle(entry.transfer)
                }
                active = [:]
            }
        }
        return results.map { $0 ?? .failure(HTTPClientError(.other, "the request was not performed")) }
    }

    /// Keeps a finished transfer's easy handle for the next request, up to 32; a big batch leaves no more.
    private func recycle(_ transfer: Transfer) {
        if spare.count < 32 { spare.append(transfer) }
    }
}

/// One curl easy handle, reused request after request, and what its current transfer received.
///
/// libcurl calls back into it on the thread running `curl_multi_perform`, through `Unmanaged` userdata.
private final class Transfer {
    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var connectTo: UnsafeMutablePointer<curl_slist>?

    private var origin = ""
    private var timeoutMilliseconds = 0
    private var bodyLimit = 0
    private var headers: [(name: String, value: String)] = []
    private var body: [UInt8] = []
    private var truncated = false

    init?() {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        freeLists()
        errorBuffer.deallocate()
    }

    /// Resets the handle and sets it up for `request`.
    func prepare(_ request: HTTPClient.Request, _ configuration: HTTPClient.Configuration) throws(HTTPClientError) {
        let target = try Self.parse(request.url)
        origin = "\(target.scheme)://\(target.host):\(target.port)"
        guard target.scheme == "https" || (target.scheme == "http" && configuration.allowInsecure) else {
            let hint = target.scheme == "http" ? " (PUSH_ALLOW_INSECURE_ENDPOINTS=1 allows http, for tests only)" : ""
            throw HTTPClientError(.refusedDestination, "\(origin): only https URLs are allowed\(hint)")
        }
        var pinned: IPAddress?
        if let pin = request.pinnedAddress {
            guard Self.sameHost(pin.host, target.host), pin.port == target.port else {
                throw HTTPClientError(.refusedDestination, "\(origin): the pinned address is for \(pin.host):\(pin.port), another host")
            }
            // A name here would be resolved by libcurl, which is what pinning is there to prevent.
            guard let address = IPAddress(ipv6: pin.address) ?? IPAddress(ipv4: pin.address) else {
                throw HTTPClientError(.refusedDestination, "\(origin): the pinned address \(pin.address) is not an IP address")
            }
            pinned = address
        }

        curl_easy_reset(handle)
        freeLists()
        headers = []
        body = []
        truncated = false
        bodyLimit = max(0, configuration.maxResponseBodyBytes)
        errorBuffer[0] = 0
        let (seconds, attoseconds) = request.timeout.components
        timeoutMilliseconds = Int(clamping: max(1, seconds.multipliedReportingOverflow(by: 1000).partialValue + attoseconds / 1_000_000_000_000_000))

        let protocols = configuration.allowInsecure ? "http,https" : "https"
        try set(CURLOPT_ERRORBUFFER, UnsafeRawPointer(errorBuffer))
        try set(CURLOPT_URL, request.url)
        try set(CURLOPT_PROTOCOLS_STR, protocols)
        try set(CURLOPT_REDIR_PROTOCOLS_STR, protocols)
        try set(CURLOPT_FOLLOWLOCATION, 0)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        try set(CURLOPT_USERAGENT, configuration.userAgent)
        try set(CURLOPT_PROXY, "")  // no proxy from http_proxy/https_proxy: we connect where we checked
        if request.freshConnection { try set(CURLOPT_FRESH_CONNECT, 1) }

        let context = UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
        try check(
            ccurl_setopt_write(handle) { data, size, count, context in
                guard let data, let context else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
                return size * count
            }, "CURLOPT_WRITEFUNCTION")
        try set(CURLOPT_WRITEDATA, context)
        try check(
            ccurl_setopt_header(handle) { data, size, count, context in
                guard let data, let context else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
                transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
                return size * count
            }, "CURLOPT_HEADERFUNCTION")
        try set(CURLOPT_HEADERDATA, context)

        switch request.method {
        case .get where request.body.isEmpty:
            try set(CURLOPT_HTTPGET, 1)
        case .head:
            try set(CURLOPT_NOBODY, 1)
        default:
            try set(CURLOPT_POST, 1)
            try set(CURLOPT_POSTFIELDSIZE, request.body.count)
            // COPYPOSTFIELDS copies POSTFIELDSIZE bytes, so the array need not outlive this call.
            let copied = request.body.withUnsafeBytes { raw in
                ccurl_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, raw.baseAddress ?? UnsafeRawPointer(errorBuffer))
            }
            try check(copied, "CURLOPT_COPYPOSTFIELDS")
            if request.method != .post { try set(CURLOPT_CUSTOMREQUEST, request.method.rawValue) }
        }

        var lines: [String] = []
        for (name, value) in request.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte) else {
                throw HTTPClientError(.invalidRequest, "\(origin): the header name \"\(name)\" is not a valid HTTP field name")
            }
            guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw HTTPClientError(.invalidRequest, "\(origin): the value of header \(name) contains a line break")
            }
            // "Name:" would remove a header in libcurl; "Name;" sends it empty.
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        let given = Set(request.headers.map { $0.name.lowercased() })
        if !given.contains("content-type") { lines.append("Content-Type:") }  // no form-urlencoded default
        if !given.contains("expect") { lines.append("Expect:") }  // no 100-continue round trip
        for line in lines { headerList = curl_slist_append(headerList, line) }
        try set(CURLOPT_HTTPHEADER, UnsafeRawPointer(headerList))

        if let pinned {
            // "::ADDRESS:PORT": whatever the URL's host, connect to the checked address. libcurl still sends
            // the URL's host in Host and SNI and verifies the certificate against it, and it never reuses a
            // connection made without this connect-to address (it ignores one equal to the URL's own host).
            let address = pinned.isIPv6 ? "[\(pinned)]" : "\(pinned)"
            connectTo = curl_slist_append(nil, "::\(address):\(target.port)")
            try set(CURLOPT_CONNECT_TO, UnsafeRawPointer(connectTo))
        }
    }

    /// What the finished transfer gave, from its `CURLcode`.
    func result(_ code: CURLcode) -> Result<HTTPClient.Response, HTTPClientError> {
        guard code == CURLE_OK else { return .failure(error(for: code)) }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPClient.Response(status: status, headers: headers, body: body, bodyTruncated: truncated))
    }

    /// Frees what the transfer needed and drops what it received; the handle stays for the next request.
    func finish() {
        freeLists()
        headers = []
        body = []
    }

    // MARK: Callbacks (on the thread in curl_multi_perform)

    private func receiveBody(_ data: UnsafeRawBufferPointer) {
        let room = bodyLimit - body.count
        if data.count > room { truncated = true }
        if room > 0 { body.append(contentsOf: data.prefix(room)) }
    }

    /// libcurl passes one complete header line per call, status lines included.
    private func receiveHeaderLine(_ data: UnsafeRawBufferPointer) {
        var bytes = data[...]
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers = []  // a new response begins (after a 1xx one)
        } else if let colon = line.firstIndex(of: ":"), !line.hasPrefix(" "), !line.hasPrefix("\t") {
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append((name, value))
        }
    }

    // MARK: Helpers

    private func error(for code: CURLcode) -> HTTPClientError {
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let raw = Int(code.rawValue)
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return HTTPClientError(.timeout, "\(origin): no response within \(timeoutMilliseconds) ms (\(detail))", curlCode: raw)
        case CURLE_UNSUPPORTED_PROTOCOL:
            return HTTPClientError(.refusedDestination, "\(origin): \(detail)", curlCode: raw)
        case CURLE_URL_MALFORMAT:
            return HTTPClientError(.invalidURL, "\(origin): \(detail)", curlCode: raw)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING,
            CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY, CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            return HTTPClientError(.connection, "\(origin): \(detail)", curlCode: raw)
        default:
            return HTTPClientError(.other, "\(origin): \(detail)", curlCode: raw)
        }
    }

    private func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(ccurl_setopt_long(handle, option, value), "option \(option.rawValue)")
    }

    private func set(_ option: CURLoption, _ value: UnsafeRawPointer?) throws(HTTPClientError) {
        try check(ccurl_setopt_ptr(handle, option, value), "option \(option.rawValue)")
    }

    /// libcurl copies string options.
    private func set(_ option: CURLoption, _ value: String) throws(HTTPClientError) {
        try check(value.withCString { ccurl_setopt_ptr(handle, option, $0) }, "option \(option.rawValue)")
    }

    private func check(_ code: CURLcode, _ what: String) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            throw HTTPClientError(.other, "libcurl refused \(what): \(String(cString: curl_easy_strerror(code)))", curlCode: Int(code.rawValue))
        }
    }

    private func freeLists() {
        curl_slist_free_all(headerList)
        curl_slist_free_all(connectTo)
        headerList = nil
        connectTo = nil
    }

    /// RFC 9110 token characters.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// Whether two hosts are the same: addresses by value, names case-insensitively, a trailing dot ignored.
    private static func sameHost(_ a: String, _ b: String) -> Bool {
        func normal(_ host: String) -> String {
            var host = host.lowercased()
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if host.hasSuffix(".") { host.removeLast() }
            return host
        }
        let (x, y) = (normal(a), normal(b))
        if let p = IPAddress(ipv6: x) ?? IPAddress(ipv4: x), let q = IPAddress(ipv6: y) ?? IPAddress(ipv4: y) { return p == q }
        return x == y
    }

    /// Scheme, host and port as libcurl itself reads `url`, so the checks here see what libcurl will use.
    private static func parse(_ url: String) throws(HTTPClientError) -> (scheme: String, host: String, port: Int) {
        guard let parsed = curl_url() else { throw HTTPClientError(.other, "libcurl could not create a URL handle") }
        defer { curl_url_cleanup(parsed) }
        let status = curl_url_set(parsed, CURLUPART_URL, url, 0)
        guard status == CURLUE_OK else {
            throw HTTPClientError(.invalidURL, "not a valid absolute URL (\(String(cString: curl_url_strerror(status))))")
        }
        func part(_ which: CURLUPart) -> String? {
            var text: UnsafeMutablePointer<CChar>?
            guard curl_url_get(parsed, which, &text, UInt32(CURLU_DEFAULT_PORT)) == CURLUE_OK, let text else { return nil }
            defer { curl_free(text) }
            return String(cString: text)
        }
        guard let scheme = part(CURLUPART_SCHEME), let host = part(CURLUPART_HOST), !host.isEmpty,
            let port = part(CURLUPART_PORT).flatMap({ Int($0) })
        else { throw HTTPClientError(.invalidURL, "not a valid absolute URL (no host)") }
        return (scheme.lowercased(), host, port)
    }
}
