import Foundation

/// A JSON field that must hold a UUID string (decoding fails with a clear message otherwise); encoded lowercased.
package struct UUIDField: Codable, Sendable, Equatable {
    package let value: UUID

    package init(_ value: UUID) { self.value = value }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = UUID(uuidString: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "must be a UUID"))
        }
        value = id
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value.lowercasedString)
    }
}
