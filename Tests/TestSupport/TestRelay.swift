import Foundation
import FoundationNetworking
import MsgLib

/// A msgrelay process on its own port, serving one test database.
package final class TestRelay: Sendable {
    package static let secret = "relay-test-secret"
    package let process: RunningProcess
    package let port: Int
    package let database: TestDatabase

    /// Starts msgrelay on a free port (or `port`); `environment` adds or overrides variables (rate limits...).
    package init(database: TestDatabase, environment: [String: String?] = [:], port requestedPort: Int = 0) async throws {
        var env: [String: String?] = ["DATABASE_URL": database.conninfo, "JWT_SECRET": Self.secret, "LOG_LEVEL": "info"]
        for (key, value) in environment { env[key] = value }
        let process = try RunningProcess("msgrelay", ["--port", String(requestedPort)], environment: env)
        let port = try await process.waitForOutput(#"listening on 127\.0\.0\.1:(\d+)"#)
        self.process = process
        self.port = Int(port)!
        self.database = database
    }

    package var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// The relay process's resident memory, in KiB (`VmRSS` of /proc).
    package var residentKiB: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// The relay's `msgrelay_websocket_connections` gauge.
    package func socketCount() async throws -> Int {
        let text = try await request("GET", "/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix("msgrelay_websocket_connections ") } ?? ""
        return Int(Double(line.split(separator: " ").last ?? "") ?? -1)
    }

    /// A token for `user`, signed with the relay's secret.
    package func token(_ user: User, ttl: Int64 = 600) -> String {
        JWTSigner(secret: Self.secret).token(for: user.id, ttl: ttl)
    }

    /// Sends a request and returns status, headers and body.
    package func request(
        _ method: String, _ path: String, token: String? = nil, json: Any? = nil, body: Data? = nil, headers: [String: String] = [:]
    ) async throws -> HTTPResult {
        var request = URLRequest(url: URL(string: path, relativeTo: baseURL)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed])
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields {
            if let key = key as? String, let value = value as? String { fields[key.lowercased()] = value }
        }
        return HTTPResult(status: http.statusCode, headers: fields, body: data)
    }

    package func stop() async throws {
        try await process.stop()
    }
}

/// A response as tests see it.
package struct HTTPResult: Sendable {
    package var status: Int
    package var headers: [String: String]
    package var body: Data

    /// The body as a JSON object (empty when it is not one).
    package var object: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
    /// The `error` string of an error body.
    package var error: String? { object["error"] as? String }
    package var text: String { String(decoding: body, as: UTF8.self) }
}

extension Dictionary where Key == String, Value == Any {
    package subscript(path path: String) -> Any? {
        var current: Any? = self
        for part in path.split(separator: ".") {
            if let index = Int(part), let array = current as? [Any] {
                current = index < array.count ? array[index] : nil
            } else {
                current = (current as? [String: Any])?[String(part)]
            }
        }
        return current
    }

    package func string(_ path: String) -> String? { self[path: path] as? String }
    package func int(_ path: String) -> Int? { self[path: path] as? Int }
    package func array(_ path: String) -> [[String: Any]] { (self[path: path] as? [[String: Any]]) ?? [] }
}

extension TestRelay {
    /// Opens a socket to `/ws/messages` as `user` (token in the query unless `useHeader`).
    package func socket(
        _ user: User, query: String = "", headers: [String: String] = [:], useHeader: Bool = false, readBuffer: Int32? = nil,
        startReading: Bool = true
    ) throws -> TestSocket {
        let token = self.token(user)
        var path = "/ws/messages"
        var allHeaders = headers
        if useHeader {
            allHeaders["Authorization"] = "Bearer \(token)"
            path += query.isEmpty ? "" : "?\(query)"
        } else {
            path += "?token=\(token)" + (query.isEmpty ? "" : "&\(query)")
        }
        return try TestSocket(port: port, path: path, headers: allHeaders, readBuffer: readBuffer, startReading: startReading)
    }
}
