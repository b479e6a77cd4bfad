import Foundation

/// A file attached to a message, as every message representation shows it. `width` and `height` are the image's size
/// in pixels (nil for other files, or an image whose header did not say).
public struct MessageAttachment: Sendable, Equatable, Codable {
    public var id: UUID
    public var filename: String
    public var contentType: String
    public var size: Int
    public var width: Int?
    public var height: Int?

    public init(id: UUID, filename: String, contentType: String, size: Int, width: Int? = nil, height: Int? = nil) {
        self.id = id
        self.filename = filename
        self.contentType = contentType
        self.size = size
        self.width = width
        self.height = height
    }

    enum CodingKeys: String, CodingKey {
        case id, filename, size, width, height
        case contentType = "content_type"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(UUIDField.self, forKey: .id).value
        filename = try c.decode(String.self, forKey: .filename)
        contentType = try c.decode(String.self, forKey: .contentType)
        size = try c.decode(Int.self, forKey: .size)
        width = try c.decodeIfPresent(Int.self, forKey: .width)
        height = try c.decodeIfPresent(Int.self, forKey: .height)
    }

    /// Every field, `width` and `height` as `null` when unknown.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id.lowercasedString, forKey: .id)
        try c.encode(filename, forKey: .filename)
        try c.encode(contentType, forKey: .contentType)
        try c.encode(size, forKey: .size)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
    }

    /// Whether browsers may show it inline (the image types a page can preview).
    public var isImage: Bool { ImageHeader.Format(contentType: contentType) != nil }

    /// The list stored in `messages.attachments` (JSON); empty for NULL or text that is not such a list.
    package static func list(json: String?) -> [MessageAttachment] {
        guard let json, let list = try? JSONDecoder().decode([MessageAttachment].self, from: Data(json.utf8)) else { return [] }
        return list
    }

    /// `list` as `messages.attachments` stores it; nil for none.
    package static func json(_ list: [MessageAttachment]) -> String? {
        guard !list.isEmpty, let data = try? JSONEncoder().encode(list) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// "1 attachment", "3 attachments".
    public static func countText(_ count: Int) -> String {
        count == 1 ? "1 attachment" : "\(count) attachments"
    }
}
