/// Files for attachment tests.
package enum SampleFiles {
    /// The start of a PNG of `width` × `height` pixels (signature and IHDR size fields), then `padding` bytes: enough for
    /// a reader of image headers, not a picture.
    package static func png(width: UInt32, height: UInt32, padding: Int) -> [UInt8] {
        func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8) + bigEndian(width) + bigEndian(height)
            + Array(repeating: 0x5A, count: padding)
    }
}
