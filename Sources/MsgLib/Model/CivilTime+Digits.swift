/// Fixed-width text of a broken-down time written byte by byte, for the RFC 3339 text of every frame and response
/// and for export's writers.
extension CivilTime {
    /// Bytes of ``putRFC3339(in:)``'s text.
    package static let rfc3339Length = 27

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` at the start of `buffer` (a year of four digits).
    @inlinable @inline(__always)
    package func putRFC3339(in buffer: UnsafeMutableBufferPointer<UInt8>) {
        putDate(separator: 0x54, in: buffer)
        buffer[19] = 0x2E
        Self.put(microsecond, digits: 6, at: 20, in: buffer)
        buffer[26] = 0x5A
    }

    /// `YYYY-MM-DD?HH:MM:SS` (19 bytes) at the start of `buffer`, `?` being `separator`.
    @inlinable @inline(__always)
    package func putDate(separator: UInt8, in buffer: UnsafeMutableBufferPointer<UInt8>) {
        Self.put(year, digits: 4, at: 0, in: buffer)
        buffer[4] = 0x2D
        Self.put(month, digits: 2, at: 5, in: buffer)
        buffer[7] = 0x2D
        Self.put(day, digits: 2, at: 8, in: buffer)
        buffer[10] = separator
        putClock(at: 11, in: buffer)
    }

    /// `HH:MM:SS` (8 bytes) at `offset`.
    @inlinable @inline(__always)
    package func putClock(at offset: Int, in buffer: UnsafeMutableBufferPointer<UInt8>) {
        Self.put(hour, digits: 2, at: offset, in: buffer)
        buffer[offset + 2] = 0x3A
        Self.put(minute, digits: 2, at: offset + 3, in: buffer)
        buffer[offset + 5] = 0x3A
        Self.put(second, digits: 2, at: offset + 6, in: buffer)
    }

    /// Writes `value` as exactly `digits` decimal digits at `offset` (the low digits when it has more).
    @inlinable @inline(__always)
    package static func put(_ value: Int, digits: Int, at offset: Int, in buffer: UnsafeMutableBufferPointer<UInt8>) {
        var rest = value
        var index = offset + digits - 1
        while index >= offset {
            buffer[index] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
            rest /= 10
            index -= 1
        }
    }
}
