import Foundation

/// The `state` parameter of a Slack OAuth install: which admin started it, a random nonce and an expiry, signed with
/// HMAC-SHA256 so that only this relay can make one.
///
/// Text form: `v1.<expires, Unix seconds>.<admin id>.<nonce, base64url>.<HMAC, base64url>`, the HMAC over everything
/// before its dot. The nonce is also set in a cookie of the admin's browser and spent in the database on the first
/// callback, so a state is good once, in the browser that started the install, until it expires.
package struct SlackOAuthState: Sendable, Equatable {
    /// Random bytes naming this install attempt.
    package var nonce: [UInt8]
    /// The admin who started the install.
    package var adminId: UUID
    /// When the state stops being accepted, in Unix seconds.
    package var expiresAt: Int64

    /// The length of a fresh nonce.
    package static let nonceLength = 16
    /// The longest state text accepted; anything longer is refused unread.
    package static let maximumLength = 200

    package init(nonce: [UInt8], adminId: UUID, expiresAt: Int64) {
        self.nonce = nonce
        self.adminId = adminId
        self.expiresAt = expiresAt
    }

    /// A fresh state for `adminId` that expires `lifetime` seconds after `now`.
    package static func fresh(adminId: UUID, now: Int64, lifetime: Int64) -> SlackOAuthState {
        SlackOAuthState(nonce: LibCrypto.randomBytes(nonceLength), adminId: adminId, expiresAt: now + lifetime)
    }

    /// The nonce as it goes into the cookie and the database.
    package var nonceText: String { Base64URL.encode(nonce) }

    /// The signed text sent to Slack.
    package func signed(key: [UInt8]) -> String {
        let payload = "v1.\(expiresAt).\(adminId.lowercasedString).\(nonceText)"
        return payload + "." + Base64URL.encode(LibCrypto.hmacSHA256(key: key, data: Array(payload.utf8)))
    }

    /// Why a state was refused.
    package enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// Missing, too long, or not of the form above.
        case malformed
        /// The HMAC does not match: not made by this relay (or under another key), or altered.
        case badSignature
        /// Past its expiry.
        case expired

        package var description: String {
            switch self {
            case .malformed: "the install link's state is missing or malformed"
            case .badSignature: "the install link's state is not signed by this server"
            case .expired: "the install link has expired"
            }
        }
    }

    /// The state `text` names, once its signature is checked (before anything else is parsed) and its expiry.
    package static func verify(_ text: String?, key: [UInt8], now: Int64) throws(Refusal) -> SlackOAuthState {
        guard let text, !text.isEmpty, text.utf8.count <= maximumLength, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }),
            let dot = text.lastIndex(of: ".")
        else { throw .malformed }
        let payload = String(text[..<dot])
        // Only the canonical encoding: the last character of 32 bytes in base64url has two unused bits.
        let macText = String(text[text.index(after: dot)...])
        guard let mac = Base64URL.decode(macText), mac.count == 32, Base64URL.encode(mac) == macText else { throw .malformed }
        guard LibCrypto.constantTimeEquals(mac, LibCrypto.hmacSHA256(key: key, data: Array(payload.utf8))) else { throw .badSignature }
        let fields = payload.split(separator: ".", omittingEmptySubsequences: false)
        guard fields.count == 4, fields[0] == "v1", let expiresAt = Int64(fields[1]), let adminId = UUID(uuidString: String(fields[2])),
            let nonce = Base64URL.decode(String(fields[3])), nonce.count == nonceLength
        else { throw .malformed }
        guard now < expiresAt else { throw .expired }
        return SlackOAuthState(nonce: nonce, adminId: adminId, expiresAt: expiresAt)
    }
}
