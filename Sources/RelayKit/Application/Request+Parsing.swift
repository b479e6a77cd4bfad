import Foundation
import Hummingbird
import MsgLib
import NIOCore

/// Reading and validating query parameters, path parameters and JSON bodies, with 400s that say what is wrong.
extension Request {
    /// A whole-number query parameter: `fallback` when absent, at least `minimum`; values above `maximum` are
    /// lowered to it, values above `limit` refused.
    func queryInt(_ name: String, default fallback: Int, minimum: Int = 1, maximum: Int? = nil, limit: Int = 1_000_000) throws -> Int {
        guard let text = uri.queryParameters[Substring(name)].map(String.init) else { return fallback }
        guard let value = Int(text), value >= minimum, value <= limit || maximum != nil else {
            throw APIError(.badRequest, "\(name) must be a whole number from \(minimum) to \(limit)")
        }
        if let maximum { return min(value, maximum) }
        return value
    }

    /// A boolean query parameter (`true`/`false`, `1`/`0`).
    func queryBool(_ name: String, default fallback: Bool) throws -> Bool {
        guard let text = uri.queryParameters[Substring(name)].map(String.init) else { return fallback }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError(.badRequest, "\(name) must be true or false")
        }
    }

    /// An RFC 3339 timestamp query parameter, from year 0001 to 9999 (what the database holds).
    func queryTimestamp(_ name: String) throws -> Timestamp? {
        guard let text = uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        guard let value = Timestamp(rfc3339: text) else {
            throw APIError(.badRequest, "\(name) must be an RFC 3339 timestamp from year 0001 to 9999, e.g. 2026-01-02T03:04:05Z")
        }
        return value
    }

    /// A UUID query parameter.
    func queryUUID(_ name: String) throws -> UUID? {
        guard let text = uri.queryParameters[Substring(name)].map(String.init) else { return nil }
        return try parseUUID(text, name: name)
    }

    /// A string query parameter.
    func queryString(_ name: String) -> String? {
        uri.queryParameters[Substring(name)].map(String.init)
    }

    /// A free-text query parameter, read as HTML forms and `URLSearchParams` write it: `+` is a space (a plus is
    /// `%2B`). The first one of that name, as ``queryString(_:)``.
    func queryText(_ name: String) -> String? {
        guard let query = uri.query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0] == name else { continue }
            let raw = parts.count > 1 ? parts[1].replacingOccurrences(of: "+", with: " ") : ""
            return raw.removingPercentEncoding ?? raw
        }
        return nil
    }

    /// Decodes the JSON body as `T`; an empty body decodes as `{}` when `emptyAsObject`.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: RelayRequestContext, emptyAsObject: Bool = false) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "Request body too large (at most \(context.maxUploadSize / 1024) KiB)")
        } catch {
            throw APIError(.badRequest, "Malformed request body")
        }
        var data = Data(buffer.readableBytesView)
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) {
            guard emptyAsObject else { throw APIError(.badRequest, "A JSON body is required") }
            data = Data("{}".utf8)
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            if let problem = error.fieldProblem { throw APIError(.badRequest, "Invalid JSON body: \(problem)") }
            if case .typeMismatch = error { throw APIError(.badRequest, "Invalid JSON body: expected an object") }
            throw APIError(.badRequest, "Invalid JSON body")
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, "Invalid JSON body")
        }
    }
}

/// Parses a UUID given by a client. - Throws: 400 naming the field.
func parseUUID(_ text: String, name: String) throws -> UUID {
    guard let id = UUID(uuidString: text) else { throw APIError(.badRequest, "\(name) must be a UUID") }
    return id
}

extension RelayRequestContext {
    /// A path parameter that must be a UUID; errors call it `label` (default: its name).
    func uuidParameter(_ name: String, label: String? = nil) throws -> UUID {
        try parseUUID(parameters.get(name) ?? "", name: label ?? name)
    }
}
