/// A point in time broken down in UTC (proleptic Gregorian calendar): the one place that does calendar arithmetic,
/// for ``Timestamp``'s RFC 3339 text and export's writers.
package struct CivilTime: Sendable, Equatable {
    package var year: Int
    package var month: Int
    package var day: Int
    package var hour: Int
    package var minute: Int
    package var second: Int
    package var microsecond: Int
    /// 0 for Sunday.
    package var weekday: Int

    /// Microseconds in a day.
    private static let microsecondsPerDay: Int64 = 86_400_000_000
    /// Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
    private static let postgresEpochDays: Int64 = 10_957

    /// The time `microsecondOfDay` (0 ..< one day) into the day `unixDays` days after 1970-01-01.
    package init(unixDays: Int, microsecondOfDay: Int64) {
        (year, month, day) = Self.civil(fromDays: unixDays)
        let seconds = Int(microsecondOfDay / 1_000_000)
        microsecond = Int(microsecondOfDay % 1_000_000)
        hour = seconds / 3600
        minute = seconds / 60 % 60
        second = seconds % 60
        weekday = ((unixDays % 7) + 11) % 7  // 1970-01-01 was a Thursday
    }

    /// Microseconds since the Unix epoch.
    package init(microsecondsSinceEpoch value: Int64) {
        let (days, rest) = Self.floorDivide(value, by: Self.microsecondsPerDay)
        self.init(unixDays: Int(days), microsecondOfDay: rest)
    }

    /// Microseconds since PostgreSQL's epoch (a `timestamptz` in the binary protocol); nil for `infinity` and
    /// `-infinity`.
    package init?(postgresMicroseconds value: Int64) {
        guard value != .max, value != .min else { return nil }
        let (days, rest) = Self.floorDivide(value, by: Self.microsecondsPerDay)
        self.init(unixDays: Int(days + Self.postgresEpochDays), microsecondOfDay: rest)
    }

    /// Quotient rounded down and a remainder in 0 ..< divisor.
    private static func floorDivide(_ value: Int64, by divisor: Int64) -> (Int64, Int64) {
        var (quotient, rest) = value.quotientAndRemainder(dividingBy: divisor)
        if rest < 0 {
            quotient -= 1
            rest += divisor
        }
        return (quotient, rest)
    }

    // Howard Hinnant's civil-date algorithms (proleptic Gregorian calendar).

    /// Days since 1970-01-01 of a calendar date.
    package static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The calendar date (year, month, day) `days` days after 1970-01-01.
    package static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Days in `month` of `year`.
    package static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
