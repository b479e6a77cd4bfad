/// What the first bytes of an image file say: its format, from the magic number, and its size in pixels, from the
/// header (PNG's IHDR, GIF's logical screen, JPEG's start-of-frame, WebP's VP8, VP8L or VP8X chunk). Nothing is
/// decoded. Pure: give it a prefix of the file (``prefixLength`` bytes are enough for all but JPEGs with very large
/// metadata, whose size is then unknown).
package struct ImageHeader: Sendable, Equatable {
    package enum Format: String, Sendable, CaseIterable {
        case png, jpeg, gif, webp

        /// The media type of this format.
        package var contentType: String { "image/\(rawValue)" }

        /// The format of a media type (`image/png`, `image/jpeg`, `image/gif`, `image/webp`); nil for others.
        package init?(contentType: String) {
            guard contentType.hasPrefix("image/"), let format = Format(rawValue: String(contentType.dropFirst(6))) else { return nil }
            self = format
        }
    }

    package var format: Format
    /// The size in pixels; nil when the prefix ended before the header said it.
    package var width: Int?
    package var height: Int?

    /// How many bytes to read from the start of a file for ``init(prefix:)``.
    package static let prefixLength = 256 * 1024

    /// The header of the image that `prefix` starts; nil when it starts no PNG, JPEG, GIF or WebP file.
    package init?(prefix: [UInt8]) {
        let bytes = Bytes(prefix)
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self.init(format: .png)
            // The first chunk is IHDR: length (4), "IHDR", width and height (4 each, big-endian).
            if bytes.matches([0x49, 0x48, 0x44, 0x52], at: 12), let width = bytes.uint32BE(at: 16), let height = bytes.uint32BE(at: 20) {
                setSize(width: Int(width), height: Int(height))
            }
        } else if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) {
            self.init(format: .gif)
            if let width = bytes.uint16LE(at: 6), let height = bytes.uint16LE(at: 8) { setSize(width: Int(width), height: Int(height)) }
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            self.init(format: .jpeg)
            if let size = Self.jpegSize(bytes) { setSize(width: size.width, height: size.height) }
        } else if bytes.starts(with: Array("RIFF".utf8)) && bytes.matches(Array("WEBP".utf8), at: 8) {
            self.init(format: .webp)
            if let size = Self.webpSize(bytes) { setSize(width: size.width, height: size.height) }
        } else {
            return nil
        }
    }

    package init(format: Format, width: Int? = nil, height: Int? = nil) {
        self.format = format
        self.width = width
        self.height = height
    }

    /// A size of zero pixels is no size, nor one beyond 2^31 - 1 (PNG's own bound; a file that says so lies, and the
    /// size is stored as a 32-bit integer).
    private mutating func setSize(width: Int, height: Int) {
        guard (1...Int(Int32.max)).contains(width), (1...Int(Int32.max)).contains(height) else { return }
        self.width = width
        self.height = height
    }

    /// Walks the JPEG's segments to its first start-of-frame marker (SOF0-SOF15 but DHT, JPG and DAC).
    private static func jpegSize(_ bytes: Bytes) -> (width: Int, height: Int)? {
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { return nil }
            let marker = bytes[offset + 1]
            if marker == 0xFF {  // fill byte
                offset += 1
                continue
            }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) {  // no length
                offset += 2
                continue
            }
            if marker == 0xD9 || marker == 0xDA { return nil }  // end of image, start of scan: no frame header before
            guard let length = bytes.uint16BE(at: offset + 2), length >= 2 else { return nil }
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                // Length (2), precision (1), height (2), width (2).
                guard let height = bytes.uint16BE(at: offset + 5), let width = bytes.uint16BE(at: offset + 7) else { return nil }
                return (Int(width), Int(height))
            }
            offset += 2 + Int(length)
        }
        return nil
    }

    /// The canvas of a WebP file: from its VP8X, VP8L or VP8 chunk, the first after the RIFF header.
    private static func webpSize(_ bytes: Bytes) -> (width: Int, height: Int)? {
        if bytes.matches(Array("VP8X".utf8), at: 12) {
            // Flags (4) then canvas width - 1 and height - 1, 24 bits each, little-endian.
            guard let width = bytes.uint24LE(at: 24), let height = bytes.uint24LE(at: 27) else { return nil }
            return (Int(width) + 1, Int(height) + 1)
        }
        if bytes.matches(Array("VP8L".utf8), at: 12) {
            // Signature 0x2F, then width - 1 and height - 1 in 14 bits each, little-endian bit order.
            guard bytes.count >= 25, bytes[20] == 0x2F, let bits = bytes.uint32LE(at: 21) else { return nil }
            return (Int(bits & 0x3FFF) + 1, Int((bits >> 14) & 0x3FFF) + 1)
        }
        if bytes.matches(Array("VP8 ".utf8), at: 12) {
            // Frame tag (3), start code 9D 01 2A, then width and height in 14 bits each (the top two: scaling).
            guard bytes.matches([0x9D, 0x01, 0x2A], at: 23), let width = bytes.uint16LE(at: 26), let height = bytes.uint16LE(at: 28) else {
                return nil
            }
            return (Int(width & 0x3FFF), Int(height & 0x3FFF))
        }
        return nil
    }
}

/// Bounds-checked reads from a byte prefix.
private struct Bytes {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var count: Int { bytes.count }
    subscript(_ index: Int) -> UInt8 { bytes[index] }

    func starts(with magic: [UInt8]) -> Bool { matches(magic, at: 0) }

    func matches(_ expected: [UInt8], at offset: Int) -> Bool {
        offset >= 0 && offset + expected.count <= bytes.count && bytes[offset..<(offset + expected.count)].elementsEqual(expected)
    }

    private func value(at offset: Int, count: Int, bigEndian: Bool) -> UInt32? {
        guard offset >= 0, offset + count <= bytes.count else { return nil }
        let slice = bytes[offset..<(offset + count)]
        return (bigEndian ? Array(slice) : slice.reversed()).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    func uint16BE(at offset: Int) -> UInt32? { value(at: offset, count: 2, bigEndian: true) }
    func uint32BE(at offset: Int) -> UInt32? { value(at: offset, count: 4, bigEndian: true) }
    func uint16LE(at offset: Int) -> UInt32? { value(at: offset, count: 2, bigEndian: false) }
    func uint24LE(at offset: Int) -> UInt32? { value(at: offset, count: 3, bigEndian: false) }
    func uint32LE(at offset: Int) -> UInt32? { value(at: offset, count: 4, bigEndian: false) }
}
