import Foundation

/// What `POST /api/attachments` accepts: a file name, a media type of the configured list and a size within the limit.
/// Pure: the relay maps each problem to its status (400, 415, 413).
package struct AttachmentPolicy: Sendable {
    /// Why a declared upload is refused.
    package enum Problem: Error, Equatable, Sendable {
        /// 400: the message says what is wrong.
        case invalid(String)
        /// 413.
        case tooLarge(String)
        /// 415.
        case unsupportedType(String)

        package var message: String {
            switch self {
            case .invalid(let text), .tooLarge(let text), .unsupportedType(let text): text
            }
        }
    }

    /// An upload the policy accepts, as it is stored.
    package struct Accepted: Sendable, Equatable {
        package var filename: AttachmentFilename
        package var contentType: String
        package var size: Int
    }

    package let maxBytes: Int
    package let types: [String]
    /// The longest file name a client may send, in UTF-8 bytes (it is then cut to ``AttachmentFilename/maxBytes``).
    package static let maxRawFilenameBytes = 1024

    package init(maxBytes: Int, types: [String]) {
        self.maxBytes = maxBytes
        self.types = types
    }

    /// Checks a declared upload.
    package func check(filename: String, contentType: String, size: Int) throws(Problem) -> Accepted {
        guard !filename.isEmpty else { throw .invalid("filename is required") }
        guard filename.utf8.count <= Self.maxRawFilenameBytes else {
            throw .invalid("filename is too long (at most \(Self.maxRawFilenameBytes) bytes)")
        }
        guard let type = Self.mediaType(contentType) else { throw .invalid("content_type must be a media type such as image/png") }
        guard types.contains(type) else {
            throw .unsupportedType("content_type \(type) is not accepted (accepted: \(types.joined(separator: ", ")))")
        }
        guard size >= 1 else { throw .invalid("size must be a whole number of bytes, at least 1") }
        guard size <= maxBytes else { throw .tooLarge("size \(size) is over the limit of \(maxBytes) bytes") }
        return Accepted(filename: AttachmentFilename(sanitizing: filename), contentType: type, size: size)
    }

    /// The bare media type of a `Content-Type` value (parameters dropped, lowercased); nil when it is not `type/subtype`
    /// of token characters.
    package static func mediaType(_ value: String) -> String? {
        let bare = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let type = bare.trimmingCharacters(in: .whitespaces).lowercased()
        return isMediaType(type) ? type : nil
    }

    /// Whether `text` is `type/subtype`, each 1 to 127 token characters (RFC 6838).
    package static func isMediaType(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let token = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&-^_.+".unicodeScalars)
        return parts.allSatisfy { part in (1...127).contains(part.count) && part.unicodeScalars.allSatisfy(token.contains) }
    }
}

extension AttachmentPolicy.Problem: ClassifiedError {
    /// Invalid input wherever it is not told apart (the relay answers 413 and 415 for the two others).
    package var failure: Failure { Failure(.invalid, publicMessage: message) }
}
