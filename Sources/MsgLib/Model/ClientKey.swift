import Foundation

/// The key a client sends a message with, so that sending it again after a lost answer makes no second message: the
/// `client_id` of a `send_message` frame (a UUID) or the `Idempotency-Key` header of `POST /api/messages`.
package enum ClientKey {
    /// The longest key, in bytes.
    package static let maximumLength = 255

    /// The key of an `Idempotency-Key` header value: 1 to 255 visible ASCII characters (no spaces or controls).
    /// - Throws: `.invalid` for anything else.
    package static func header(_ value: String) throws -> String {
        let bytes = value.utf8
        guard (1...maximumLength).contains(bytes.count), bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw ServiceError(.invalid, "Idempotency-Key must be 1 to \(maximumLength) visible ASCII characters")
        }
        return value
    }

    /// The key of a frame's `client_id`.
    package static func clientId(_ id: UUID) -> String { id.lowercasedString }
}
