import Testing

@testable import MsgLib

/// Formats and sizes read from hand-built headers of each format, and no crash on any prefix.
@Suite struct ImageHeaderTests {
    static func png(width: UInt32, height: UInt32) -> [UInt8] {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8) + bigEndian(width, 4) + bigEndian(height, 4)
            + [8, 6, 0, 0, 0] + [0, 0, 0, 0]
    }

    static func gif(width: UInt16, height: UInt16) -> [UInt8] {
        Array("GIF89a".utf8) + littleEndian(UInt32(width), 2) + littleEndian(UInt32(height), 2) + [0, 0, 0]
    }

    /// SOI, an APP0 and an APP1 segment (metadata before the frame, as cameras write), fill bytes, then SOF2.
    static func jpeg(width: UInt16, height: UInt16) -> [UInt8] {
        let app0: [UInt8] = [0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
        let exif = [UInt8](repeating: 0xAB, count: 3000)
        let app1: [UInt8] = [0xFF, 0xE1] + bigEndian(UInt32(exif.count + 2), 2) + exif
        let sof: [UInt8] = [0xFF, 0xFF, 0xC2, 0x00, 0x11, 0x08] + bigEndian(UInt32(height), 2) + bigEndian(UInt32(width), 2) + [3, 1, 0x22, 0]
        return [0xFF, 0xD8] + app0 + app1 + sof + [UInt8](repeating: 0, count: 8)
    }

    static func riff(_ chunk: String, _ payload: [UInt8]) -> [UInt8] {
        Array("RIFF".utf8) + littleEndian(UInt32(payload.count + 12), 4) + Array("WEBP".utf8) + Array(chunk.utf8)
            + littleEndian(UInt32(payload.count), 4) + payload
    }

    @Test func pngGifJpegAndTheThreeWebPs() {
        #expect(ImageHeader(prefix: Self.png(width: 640, height: 480)) == ImageHeader(format: .png, width: 640, height: 480))
        #expect(ImageHeader(prefix: Self.gif(width: 3, height: 65_535)) == ImageHeader(format: .gif, width: 3, height: 65_535))
        #expect(ImageHeader(prefix: Self.jpeg(width: 4032, height: 3024)) == ImageHeader(format: .jpeg, width: 4032, height: 3024))
        // VP8X: flags, then canvas width - 1 and height - 1 on 24 bits.
        let vp8x = Self.riff("VP8X", [0x10, 0, 0, 0] + littleEndian(19_999, 3) + littleEndian(9, 3))
        #expect(ImageHeader(prefix: vp8x) == ImageHeader(format: .webp, width: 20_000, height: 10))
        // VP8L: 0x2F, then width - 1 and height - 1 on 14 bits each.
        let vp8l = Self.riff("VP8L", [0x2F] + littleEndian(99 | (49 << 14), 4) + [0])
        #expect(ImageHeader(prefix: vp8l) == ImageHeader(format: .webp, width: 100, height: 50))
        // VP8: frame tag, start code, then 14-bit width and height (the top bits scale, and are not the size).
        let vp8 = Self.riff("VP8 ", [0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A] + littleEndian(0x4000 | 320, 2) + littleEndian(240, 2))
        #expect(ImageHeader(prefix: vp8) == ImageHeader(format: .webp, width: 320, height: 240))
    }

    /// A PNG whose header claims more than 2^31 - 1 pixels is a PNG of unknown size (the size is stored as a 32-bit integer).
    @Test func aSizeBeyondPNGsBoundIsNoSize() {
        #expect(ImageHeader(prefix: Self.png(width: 0xFFFF_FFFF, height: 10)) == ImageHeader(format: .png))
        #expect(ImageHeader(prefix: Self.png(width: 10, height: 0x8000_0000)) == ImageHeader(format: .png))
        #expect(ImageHeader(prefix: Self.png(width: 0x7FFF_FFFF, height: 1)) == ImageHeader(format: .png, width: 0x7FFF_FFFF, height: 1))
    }

    @Test func otherFilesAreNoImage() {
        #expect(ImageHeader(prefix: Array("%PDF-1.7\n".utf8)) == nil)
        #expect(ImageHeader(prefix: Array("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8)) == nil)
        #expect(ImageHeader(prefix: Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt ".utf8)) == nil)
        #expect(ImageHeader(prefix: []) == nil)
    }

    @Test func aHeaderCutShortKnowsTheFormatButNoSize() {
        #expect(ImageHeader(prefix: Array(Self.png(width: 1, height: 1).prefix(18))) == ImageHeader(format: .png))
        #expect(ImageHeader(prefix: Array(Self.jpeg(width: 10, height: 10).prefix(2000))) == ImageHeader(format: .jpeg))
        #expect(ImageHeader(prefix: Self.png(width: 0, height: 10)) == ImageHeader(format: .png))
    }

    @Test func mediaTypes() {
        #expect(ImageHeader.Format(contentType: "image/jpeg") == .jpeg)
        #expect(ImageHeader.Format(contentType: "image/svg+xml") == nil)
        #expect(ImageHeader.Format.allCases.allSatisfy { ImageHeader.Format(contentType: $0.contentType) == $0 })
    }

    /// Every prefix of every sample, and seeded random damage to them, parse without crashing.
    @Test func anyPrefixOrDamageIsSafe() {
        let samples = [
            Self.png(width: 7, height: 9), Self.gif(width: 7, height: 9), Self.jpeg(width: 7, height: 9),
            Self.riff("VP8X", [0, 0, 0, 0, 6, 0, 0, 8, 0, 0]), Self.riff("VP8L", [0x2F, 1, 2, 3, 4]),
        ]
        var random = SystemRandomNumberGenerator()
        for sample in samples {
            for length in 0...sample.count { _ = ImageHeader(prefix: Array(sample.prefix(length))) }
            for _ in 0..<200 {
                var damaged = sample
                for _ in 0..<3 { damaged[Int.random(in: 0..<damaged.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
                _ = ImageHeader(prefix: damaged)
            }
        }
        // A JPEG whose segment lengths run past the end, or are too short to move on, ends without a size.
        #expect(ImageHeader(prefix: [0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF]) == ImageHeader(format: .jpeg))
        #expect(ImageHeader(prefix: [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF, 0xC0]) == ImageHeader(format: .jpeg))
    }
}

private func bigEndian(_ value: UInt32, _ count: Int) -> [UInt8] {
    (0..<count).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) }
}

private func littleEndian(_ value: UInt32, _ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) }
}
