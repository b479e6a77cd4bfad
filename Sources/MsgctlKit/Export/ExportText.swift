import Foundation
import MsgLib

/// Byte-level writers shared by the export formats: UUIDs, times, JSON strings, CSV fields.
///
/// They append UTF-8 to a byte array without going through `String`, which keeps a million-row export cheap.
enum ExportText {
    static func append(_ text: StaticString, to out: inout [UInt8]) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// The lowercase hex digit of the low four bits of `value`.
    @inline(__always) private static func hex(_ value: UInt64) -> UInt8 {
        JSONText.hexDigit(UInt8(truncatingIfNeeded: value & 0xF))
    }

    /// `0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b`, composed on the stack and appended at once.
    static func appendUUID(_ uuid: RawUUID, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { text in
            var index = 0
            var shift: UInt64 = 60
            for digit in 0..<16 {
                if digit == 8 || digit == 12 {
                    text[index] = 0x2D
                    index += 1
                }
                text[index] = hex(uuid.high >> shift)
                index += 1
                shift &-= 4
            }
            text[index] = 0x2D
            index += 1
            shift = 60
            for digit in 0..<16 {
                if digit == 4 {
                    text[index] = 0x2D
                    index += 1
                }
                text[index] = hex(uuid.low >> shift)
                index += 1
                shift &-= 4
            }
            out.append(contentsOf: UnsafeBufferPointer(text))
        }
    }

    /// Decimal of `value`, zero-padded to at least `width` digits.
    static func appendDecimal(_ value: Int, width: Int = 1, to out: inout [UInt8]) {
        if value < 0 {
            out.append(0x2D)
            appendDecimal(-value, width: width, to: &out)
            return
        }
        var divisor = 1
        var digits = 1
        while divisor <= value / 10 {
            divisor *= 10
            digits += 1
        }
        for _ in digits..<max(width, digits) { out.append(0x30) }
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: value / divisor % 10) + 0x30)
            divisor /= 10
        }
    }

    /// Copies `text` (ASCII) to `offset`.
    @inline(__always) private static func put(_ text: StaticString, at offset: Int, in buffer: UnsafeMutableBufferPointer<UInt8>) {
        text.withUTF8Buffer { source in
            for index in 0..<source.count { buffer[offset + index] = source[index] }
        }
    }

    /// The three-letter English name number `index` of `names` (three letters each), to `offset`.
    @inline(__always) private static func putName(_ names: StaticString, _ index: Int, at offset: Int, in buffer: UnsafeMutableBufferPointer<UInt8>) {
        names.withUTF8Buffer { source in
            for letter in 0..<3 { buffer[offset + letter] = source[3 * index + letter] }
        }
    }

    private static let weekdayNames: StaticString = "SunMonTueWedThuFriSat"
    private static let monthNames: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"

    /// The broken-down time when its year has four digits (the fixed layouts below); nil for infinity, or a year
    /// outside 0...9999, written by ``appendUnusualTime(_:to:)`` instead.
    @inline(__always) private static func ordinaryTime(_ postgresMicroseconds: Int64) -> CivilTime? {
        guard let time = CivilTime(postgresMicroseconds: postgresMicroseconds), (0...9999).contains(time.year) else { return nil }
        return time
    }

    /// `infinity`, `-infinity`, or an RFC 3339-like text with the year as it is.
    private static func appendUnusualTime(_ postgresMicroseconds: Int64, to out: inout [UInt8]) {
        guard let time = CivilTime(postgresMicroseconds: postgresMicroseconds) else {
            append(postgresMicroseconds > 0 ? "infinity" : "-infinity", to: &out)
            return
        }
        appendDecimal(time.year, width: 4, to: &out)
        for (separator, value) in [(0x2D, time.month), (0x2D, time.day), (0x54, time.hour), (0x3A, time.minute), (0x3A, time.second)] {
            out.append(UInt8(separator))
            appendDecimal(value, width: 2, to: &out)
        }
        out.append(0x2E)
        appendDecimal(time.microsecond, width: 6, to: &out)
        out.append(0x5A)
    }

    /// RFC 3339 in UTC with microseconds, as the REST API writes times: `2026-11-25T22:57:52.123456Z`.
    /// `infinity` and `-infinity` for PostgreSQL's infinite times.
    static func appendRFC3339(_ postgresMicroseconds: Int64, to out: inout [UInt8]) {
        guard let time = ordinaryTime(postgresMicroseconds) else { return appendUnusualTime(postgresMicroseconds, to: &out) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { buffer in
            time.putRFC3339(in: buffer)
            out.append(contentsOf: UnsafeBufferPointer(buffer))
        }
    }

    /// `2026-11-25 22:57:52 UTC`, for people (Markdown).
    static func appendReadableUTC(_ postgresMicroseconds: Int64, to out: inout [UInt8]) {
        guard let time = ordinaryTime(postgresMicroseconds) else { return appendUnusualTime(postgresMicroseconds, to: &out) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 23) { buffer in
            time.putDate(separator: 0x20, in: buffer)
            put(" UTC", at: 19, in: buffer)
            out.append(contentsOf: UnsafeBufferPointer(buffer))
        }
    }

    /// RFC 5322 `date-time` in UTC: `Tue, 25 Nov 2026 22:57:52 +0000` (the epoch for a time it cannot express).
    static func appendRFC5322(_ postgresMicroseconds: Int64, to out: inout [UInt8]) {
        let time = ordinaryTime(postgresMicroseconds) ?? CivilTime(postgresMicroseconds: 0)!
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 31) { buffer in
            putName(weekdayNames, time.weekday, at: 0, in: buffer)
            put(", ", at: 3, in: buffer)
            CivilTime.put(time.day, digits: 2, at: 5, in: buffer)
            buffer[7] = 0x20
            putName(monthNames, time.month - 1, at: 8, in: buffer)
            buffer[11] = 0x20
            CivilTime.put(time.year, digits: 4, at: 12, in: buffer)
            buffer[16] = 0x20
            time.putClock(at: 17, in: buffer)
            put(" +0000", at: 25, in: buffer)
            out.append(contentsOf: UnsafeBufferPointer(buffer))
        }
    }

    /// The date of an mbox `From_` line, C's asctime() layout in UTC: `Tue Nov  5 22:57:52 2026`.
    static func appendAsctime(_ postgresMicroseconds: Int64, to out: inout [UInt8]) {
        let time = ordinaryTime(postgresMicroseconds) ?? CivilTime(postgresMicroseconds: 0)!
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            putName(weekdayNames, time.weekday, at: 0, in: buffer)
            buffer[3] = 0x20
            putName(monthNames, time.month - 1, at: 4, in: buffer)
            buffer[7] = 0x20
            CivilTime.put(time.day, digits: 2, at: 8, in: buffer)
            if time.day < 10 { buffer[8] = 0x20 }
            buffer[10] = 0x20
            time.putClock(at: 11, in: buffer)
            buffer[19] = 0x20
            CivilTime.put(time.year, digits: 4, at: 20, in: buffer)
            out.append(contentsOf: UnsafeBufferPointer(buffer))
        }
    }

    /// A CSV field (``CSVField``): a `'` first when it would start a formula and `formulaEscape`; quoted, with
    /// quotes doubled, when it holds a comma, quote, CR or LF; else as is.
    static func appendCSVField(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, formulaEscape: Bool, to out: inout [UInt8]) {
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        let guarded = formulaEscape && slice.first.map(CSVField.startsFormula) == true
        guard slice.contains(where: CSVField.needsQuotes) else {
            if guarded { out.append(0x27) }
            out.append(contentsOf: slice)
            return
        }
        out.append(0x22)
        if guarded { out.append(0x27) }
        var runStart = 0
        for index in 0..<slice.count where slice[index] == 0x22 {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: slice[runStart...index]))
            out.append(0x22)
            runStart = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: slice[runStart...]))
        out.append(0x22)
    }
}

extension ExportText {
    /// Calls `body` with each line of `range`, without its line break; CRLF, CR and LF all end a line. A text
    /// ending in a line break has an empty last line.
    static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ body: (Range<Int>) -> Void) {
        var start = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D {
                body(start..<index)
                if byte == 0x0D, index + 1 < range.upperBound, bytes[index + 1] == 0x0A { index += 1 }
                start = index + 1
            }
            index += 1
        }
        body(start..<range.upperBound)
    }

    /// True for ASCII letters and digits.
    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): return true
        default: return false
        }
    }

    /// True when every byte of `range` is printable ASCII (space to tilde).
    static func isPrintableASCII(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        range.allSatisfy { bytes[$0] >= 0x20 && bytes[$0] < 0x7F }
    }

    /// `files` as the REST API writes them: a JSON array.
    static func attachmentsJSON(_ files: [MessageAttachment]) -> [UInt8] {
        guard !files.isEmpty, let data = try? JSONEncoder().encode(files) else { return Array("[]".utf8) }
        return Array(data)
    }

    /// `image/png, 4000 bytes, 640x480`.
    static func attachmentSummary(_ file: MessageAttachment) -> String {
        let pixels = file.width.flatMap { width in file.height.map { ", \(width)x\($0)" } } ?? ""
        return "\(file.contentType), \(file.size) bytes\(pixels)"
    }

    /// `text` with control characters (line breaks included) as spaces.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }
}
