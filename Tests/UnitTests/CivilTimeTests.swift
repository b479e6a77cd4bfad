import Testing

@testable import MsgLib

/// The calendar arithmetic shared by ``Timestamp`` and export.
@Suite struct CivilTimeTests {
    @Test(arguments: [-800_000, -719_468, -1, 0, 1, 10_957, 20_000, 2_932_896])
    func daysRoundTripThroughTheCalendar(around start: Int) {
        for days in start..<(start + 800) {
            let (year, month, day) = CivilTime.civil(fromDays: days)
            #expect((1...12).contains(month) && (1...CivilTime.daysInMonth(year, month)).contains(day))
            #expect(CivilTime.days(fromCivil: year, month, day) == days)
        }
    }

    @Test func unixAndPostgresEpochsAgree() {
        let unix = CivilTime(microsecondsSinceEpoch: 946_684_800_000_000 + 3_723_000_004)
        let postgres = CivilTime(postgresMicroseconds: 3_723_000_004)
        #expect(unix == postgres)
        #expect(unix == CivilTime(unixDays: 10_957, microsecondOfDay: 3_723_000_004))
        #expect(
            [unix.year, unix.month, unix.day, unix.hour, unix.minute, unix.second, unix.microsecond, unix.weekday] == [2000, 1, 1, 1, 2, 3, 4, 6])
        #expect(CivilTime(postgresMicroseconds: .max) == nil && CivilTime(postgresMicroseconds: .min) == nil)
    }

    @Test func timesBeforeTheEpochRoundDown() {
        let time = CivilTime(microsecondsSinceEpoch: -1)
        #expect([time.year, time.month, time.day, time.hour, time.minute, time.second, time.microsecond] == [1969, 12, 31, 23, 59, 59, 999_999])
        #expect(time.weekday == 3)
        #expect(Timestamp(microsecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999999Z")
    }
}
