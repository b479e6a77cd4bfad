import Glibc

/// A point in time with microsecond precision, as PostgreSQL stores `timestamptz`.
///
/// Encoded in JSON as RFC 3339 UTC with six fractional digits: `2026-11-25T22:57:52.123456Z`.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// The current wall-clock time.
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microsecondsSinceEpoch: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    /// This time shifted by `seconds` (may be negative).
    public func adding(seconds: Double) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: microsecondsSinceEpoch + Int64((seconds * 1_000_000).rounded()))
    }

    /// Seconds from `earlier` to this time (negative when `earlier` is later).
    public func seconds(since earlier: Timestamp) -> Double {
        Double(microsecondsSinceEpoch - earlier.microsecondsSinceEpoch) / 1_000_000
    }

    /// Seconds since the Unix epoch, truncated.
    public var secondsSinceEpoch: Int64 {
        microsecondsSinceEpoch >= 0 ? microsecondsSinceEpoch / 1_000_000 : (microsecondsSinceEpoch - 999_999) / 1_000_000
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microsecondsSinceEpoch < b.microsecondsSinceEpoch }

    /// RFC 3339 in UTC with microseconds.
    public var rfc3339: String {
        let t = CivilTime(microsecondsSinceEpoch: microsecondsSinceEpoch)
        guard (0...9999).contains(t.year) else { return Self.paddedRFC3339(t) }
        // Written into the string's own storage: every frame and response carries timestamps.
        return String(unsafeUninitializedCapacity: CivilTime.rfc3339Length) { bytes in
            t.putRFC3339(in: bytes)
            return CivilTime.rfc3339Length
        }
    }

    /// The same text for years outside 0 through 9999, which only arithmetic on times can produce.
    private static func paddedRFC3339(_ t: CivilTime) -> String {
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return
            "\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2))T\(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2)).\(pad(t.microsecond, 6))Z"
    }

    public var description: String { rfc3339 }

    /// The earliest time ``init(rfc3339:)`` accepts, 0001-01-01T00:00:00Z: PostgreSQL writes no year 0 (it is 1 BC).
    public static let earliest = Timestamp(microsecondsSinceEpoch: -62_135_596_800_000_000)
    /// The latest time ``init(rfc3339:)`` accepts, 9999-12-31T23:59:59.999999Z (four-digit years).
    public static let latest = Timestamp(microsecondsSinceEpoch: 253_402_300_799_999_999)

    /// Parses RFC 3339 (`2026-11-25T22:57:52Z`, `...52.5+01:00`; a space may replace `T`, `z` is accepted), from
    /// ``earliest`` to ``latest`` once in UTC: every time it returns, PostgreSQL's `timestamptz` holds.
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func num(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var v = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count >= 20, let y = num(0..<4), b[4] == 45, let mo = num(5..<7), b[7] == 45, let d = num(8..<10),
            b[10] == 84 || b[10] == 116 || b[10] == 32, let h = num(11..<13), b[13] == 58, let mi = num(14..<16),
            b[16] == 58, let s = num(17..<19)
        else { return nil }
        guard (1...12).contains(mo), d >= 1, d <= CivilTime.daysInMonth(y, mo), h < 24, mi < 60, s < 60 else { return nil }
        var i = 19
        var micros = 0
        if b[i] == 46 {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 6 { micros = micros * 10 + Int(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45, let oh = num(i + 1..<i + 3), i + 3 < b.count, b[i + 3] == 58,
            let om = num(i + 4..<i + 6), oh < 24, om < 60
        {
            offset = (oh * 60 + om) * 60 * (b[i] == 45 ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = Int64(CivilTime.days(fromCivil: y, mo, d))
        let secs = days * 86400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset)
        let value = secs * 1_000_000 + Int64(micros)
        guard value >= Self.earliest.microsecondsSinceEpoch, value <= Self.latest.microsecondsSinceEpoch else { return nil }
        self.microsecondsSinceEpoch = value
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 timestamp"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}
