import Foundation

/// A JSON field that must hold a UUID string (decoding fails with a clear message otherwise).
package struct UUIDField: Decodable, Sendable {
    package let value: UUID

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = UUID(uuidString: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "must be a UUID"))
        }
        value = id
    }
}
