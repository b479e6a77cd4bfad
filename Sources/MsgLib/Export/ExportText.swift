/// Byte-level writers shared by the export formats: UUIDs, times, JSON strings, CSV fields.
///
/// They append UTF-8 to a byte array without going through `String`, which keeps a million-row export cheap.
enum ExportText {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let weekdays: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func append(_ text: StaticString, to out: inout [UInt8]) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// `0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b`.
    static func appendUUID(_ uuid: RawUUID, to out: inout [UInt8]) {
        appendHex(uuid.high >> 32, digits: 8, to: &out)
        out.append(0x2D)
        appendHex(uuid.high >> 16, digits: 4, to: &out)
        out.append(0x2D)
        appendHex(uuid.high, digits: 4, to: &out)
        out.append(0x2D)
        appendHex(uuid.low >> 48, digits: 4, to: &out)
        out.append(0x2D)
        appendHex(uuid.low, digits: 12, to: &out)
    }

    /// The low `digits` hex digits of `value`, most significant first.
    private static func appendHex(_ value: UInt64, digits: Int, to out: inout [UInt8]) {
        for shift in stride(from: 4 * (digits - 1), through: 0, by: -4) {
            out.append(hexDigits[Int(truncatingIfNeeded: (value >> UInt64(shift)) & 0xF)])
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

    /// RFC 3339 in UTC with microseconds, as the REST API writes times: `2026-11-25T22:57:52.123456Z`.
    /// `infinity` and `-infinity` for PostgreSQL's infinite times.
    static func appendRFC3339(_ postgresMicroseconds: Int64, to out: inout [UInt8]) {
        guard let time = CivilTime(postgresMicroseconds: postgresMicroseconds) else {
            append(postgresMicroseconds > 0 ? "infinity" : "-infinity", to: &out)
            return
        }
        appendDate(time, separator: 0x54, to: &out)
        out.append(0x2E)
        appendDecimal(time.microsecond, width: 6, to: &out)
        out.append(0x5A)
    }

    /// `2026-11-25 22:57:52 UTC`, for people (Markdown).
    static func appendReadableUTC(_ postgresMicroseconds: Int64, to out: inout [UInt8]) {
        guard let time = CivilTime(postgresMicroseconds: postgresMicroseconds) else {
            append(postgresMicroseconds > 0 ? "infinity" : "-infinity", to: &out)
            return
        }
        appendDate(time, separator: 0x20, to: &out)
        append(" UTC", to: &out)
    }

    /// RFC 5322 `date-time` in UTC: `Tue, 25 Nov 2026 22:57:52 +0000`.
    static func appendRFC5322(_ postgresMicroseconds: Int64, to out: inout [UInt8]) {
        let time = CivilTime(postgresMicroseconds: postgresMicroseconds) ?? CivilTime(postgresMicroseconds: 0)!
        append(weekdays[time.weekday], to: &out)
        append(", ", to: &out)
        appendDecimal(time.day, width: 2, to: &out)
        out.append(0x20)
        append(months[time.month - 1], to: &out)
        out.append(0x20)
        appendDecimal(time.year, width: 4, to: &out)
        out.append(0x20)
        appendClock(time, to: &out)
        append(" +0000", to: &out)
    }

    /// The date of an mbox `From_` line, C's asctime() layout in UTC: `Tue Nov  5 22:57:52 2026`.
    static func appendAsctime(_ postgresMicroseconds: Int64, to out: inout [UInt8]) {
        let time = CivilTime(postgresMicroseconds: postgresMicroseconds) ?? CivilTime(postgresMicroseconds: 0)!
        append(weekdays[time.weekday], to: &out)
        out.append(0x20)
        append(months[time.month - 1], to: &out)
        out.append(0x20)
        if time.day < 10 { out.append(0x20) }
        appendDecimal(time.day, to: &out)
        out.append(0x20)
        appendClock(time, to: &out)
        out.append(0x20)
        appendDecimal(time.year, width: 4, to: &out)
    }

    private static func appendDate(_ time: CivilTime, separator: UInt8, to out: inout [UInt8]) {
        appendDecimal(time.year, width: 4, to: &out)
        out.append(0x2D)
        appendDecimal(time.month, width: 2, to: &out)
        out.append(0x2D)
        appendDecimal(time.day, width: 2, to: &out)
        out.append(separator)
        appendClock(time, to: &out)
    }

    private static func appendClock(_ time: CivilTime, to out: inout [UInt8]) {
        appendDecimal(time.hour, width: 2, to: &out)
        out.append(0x3A)
        appendDecimal(time.minute, width: 2, to: &out)
        out.append(0x3A)
        appendDecimal(time.second, width: 2, to: &out)
    }

    /// A JSON string (RFC 8259): quotes, backslashes and control characters escaped, the rest (valid UTF-8 from
    /// the database) copied as is; `/` is not escaped, as in the REST API.
    static func appendJSONString(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, to out: inout [UInt8]) {
        out.append(0x22)
        var runStart = range.lowerBound
        for index in range {
            let byte = bytes[index]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
            if runStart < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
            runStart = index + 1
            switch byte {
            case 0x22: append("\\\"", to: &out)
            case 0x5C: append("\\\\", to: &out)
            case 0x0A: append("\\n", to: &out)
            case 0x0D: append("\\r", to: &out)
            case 0x09: append("\\t", to: &out)
            case 0x08: append("\\b", to: &out)
            case 0x0C: append("\\f", to: &out)
            default:
                append("\\u00", to: &out)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            }
        }
        if runStart < range.upperBound { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<range.upperBound])) }
        out.append(0x22)
    }

    /// A CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, quote, CR or LF; else as is.
    static func appendCSVField(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, to out: inout [UInt8]) {
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        guard slice.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else {
            out.append(contentsOf: slice)
            return
        }
        out.append(0x22)
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
}

/// A `timestamptz` broken down in UTC (proleptic Gregorian calendar).
struct CivilTime {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    var microsecond: Int
    /// 0 for Sunday.
    var weekday: Int

    /// Microseconds in a day.
    private static let day: Int64 = 86_400_000_000
    /// Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
    private static let postgresEpochDays: Int64 = 10_957

    /// Nil for PostgreSQL's `infinity` and `-infinity`.
    init?(postgresMicroseconds value: Int64) {
        guard value != .max, value != .min else { return nil }
        var days = value / Self.day
        var rest = value % Self.day
        if rest < 0 {
            days -= 1
            rest += Self.day
        }
        let unixDays = Int(days + Self.postgresEpochDays)
        (year, month, day) = Timestamp.civil(fromDays: unixDays)
        let seconds = Int(rest / 1_000_000)
        microsecond = Int(rest % 1_000_000)
        hour = seconds / 3600
        minute = seconds / 60 % 60
        second = seconds % 60
        weekday = ((unixDays % 7) + 11) % 7  // 1970-01-01 was a Thursday
    }
}
