import Foundation

/// The signed, expiring URLs of the local store: HMAC-SHA256 over what the URL allows (method, key, type, size or
/// file name and disposition, expiry, and the user it was made for, whose requests under way it counts among), carried
/// in the query. Free text (type, file name) travels base64url-encoded so
/// that no percent-decoding can change what was signed. Pure: tested without I/O.
package struct LocalURLSigner: Sendable {
    /// An upload a verified URL allows.
    package struct Upload: Sendable, Equatable {
        package var contentType: String
        package var size: Int
        /// The user the URL was made for (nil: an admin, not counted).
        package var user: UUID? = nil
    }

    /// A download a verified URL allows.
    package struct Download: Sendable, Equatable {
        package var contentType: String
        package var filename: AttachmentFilename
        package var inline: Bool
        /// The user the URL was made for (nil: an admin, not counted).
        package var user: UUID? = nil
    }

    /// Why a URL is refused.
    package enum Refusal: Error, Equatable, Sendable {
        case malformed, expired, badSignature

        package var message: String {
            switch self {
            case .malformed: "Malformed attachment URL"
            case .expired: "This attachment URL has expired"
            case .badSignature: "Invalid attachment URL signature"
            }
        }
    }

    let key: [UInt8]

    package init(key: [UInt8]) {
        precondition(!key.isEmpty, "a signing key is required")
        self.key = key
    }

    /// The query of an upload URL for `storeKey`, made for `user`.
    package func uploadQuery(storeKey: String, contentType: String, size: Int, expires: Int64, user: UUID? = nil) -> String {
        let type = Base64URL.encode(Array(contentType.utf8))
        let signature = sign(["PUT", storeKey, type, String(size), String(expires)] + Self.userField(user))
        return "expires=\(expires)&size=\(size)&type=\(type)\(Self.userParameter(user))&sig=\(signature)"
    }

    /// The query of a download URL for `storeKey`, made for `user`.
    package func downloadQuery(
        storeKey: String, contentType: String, filename: AttachmentFilename, inline: Bool, expires: Int64, user: UUID? = nil
    ) -> String {
        let type = Base64URL.encode(Array(contentType.utf8))
        let name = Base64URL.encode(Array(filename.value.utf8))
        let disposition = inline ? "inline" : "attachment"
        let signature = sign(["GET", storeKey, type, name, disposition, String(expires)] + Self.userField(user))
        return "expires=\(expires)&type=\(type)&name=\(name)&disposition=\(disposition)\(Self.userParameter(user))&sig=\(signature)"
    }

    /// Checks an upload URL's query parameters at time `now` (seconds since the epoch).
    package func verifyUpload(storeKey: String, query: [String: String], now: Int64) throws(Refusal) -> Upload {
        guard let expiresText = query["expires"], let expires = Int64(expiresText), let sizeText = query["size"], let size = Int(sizeText),
            size >= 0, let type = query["type"], let typeBytes = Base64URL.decode(type), let signature = query["sig"]
        else { throw .malformed }
        let user = try Self.user(query)
        try check(signature, over: ["PUT", storeKey, type, sizeText, expiresText] + Self.userField(user), expires: expires, now: now)
        return Upload(contentType: String(decoding: typeBytes, as: UTF8.self), size: size, user: user)
    }

    /// Checks a download URL's query parameters at time `now` (seconds since the epoch).
    package func verifyDownload(storeKey: String, query: [String: String], now: Int64) throws(Refusal) -> Download {
        guard let expiresText = query["expires"], let expires = Int64(expiresText), let type = query["type"],
            let typeBytes = Base64URL.decode(type), let name = query["name"], let nameBytes = Base64URL.decode(name),
            let disposition = query["disposition"], disposition == "inline" || disposition == "attachment", let signature = query["sig"]
        else { throw .malformed }
        let user = try Self.user(query)
        try check(signature, over: ["GET", storeKey, type, name, disposition, expiresText] + Self.userField(user), expires: expires, now: now)
        return Download(
            contentType: String(decoding: typeBytes, as: UTF8.self),
            filename: AttachmentFilename(sanitizing: String(decoding: nameBytes, as: UTF8.self)), inline: disposition == "inline", user: user)
    }

    /// The signed field of `user`: none for a URL made for nobody counted (an admin; and URLs made before they named one).
    private static func userField(_ user: UUID?) -> [String] { user.map { [$0.lowercasedString] } ?? [] }

    private static func userParameter(_ user: UUID?) -> String { user.map { "&user=\($0.lowercasedString)" } ?? "" }

    /// The `user` parameter, if any; malformed when it is not a UUID.
    private static func user(_ query: [String: String]) throws(Refusal) -> UUID? {
        guard let text = query["user"] else { return nil }
        guard let user = UUID(uuidString: text) else { throw .malformed }
        return user
    }

    private func check(_ signature: String, over fields: [String], expires: Int64, now: Int64) throws(Refusal) {
        guard let given = Base64URL.decode(signature),
            LibCrypto.constantTimeEquals(given, LibCrypto.hmacSHA256(key: key, data: Array(fields.joined(separator: "\n").utf8)))
        else { throw .badSignature }
        guard now < expires else { throw .expired }
    }

    private func sign(_ fields: [String]) -> String {
        Base64URL.encode(LibCrypto.hmacSHA256(key: key, data: Array(fields.joined(separator: "\n").utf8)))
    }
}
