import MsgLib
import Testing

@Suite struct TimestampTests {
    @Test func formatsRFC3339WithMicroseconds() {
        #expect(Timestamp(microsecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microsecondsSinceEpoch: 1_767_323_045_123_456).rfc3339 == "2026-01-02T03:04:05.123456Z")
        #expect(Timestamp(microsecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp(microsecondsSinceEpoch: 951_782_400_000_000).rfc3339 == "2000-02-29T00:00:00.000000Z")
    }

    @Test(arguments: [
        ("2026-01-02T03:04:05.123456Z", Int64(1_767_323_045_123_456)),
        ("2026-01-02T03:04:05Z", 1_767_323_045_000_000),
        ("2026-01-02 03:04:05.5z", 1_767_323_045_500_000),
        ("2026-01-02T04:04:05.123456789+01:00", 1_767_323_045_123_456),
        ("2026-01-01T22:04:05-05:00", 1_767_323_045_000_000),
    ])
    func parses(text: String, micros: Int64) {
        #expect(Timestamp(rfc3339: text)?.microsecondsSinceEpoch == micros)
    }

    @Test(arguments: [
        "", "2026-01-02", "2026-13-02T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-02T24:00:00Z", "2026-01-02T03:04:05", "2026-01-02T03:04:05.Z",
        "2026-01-02T03:04:05Zjunk", "yesterday",
        // Times PostgreSQL cannot be given as written: year 0, before year 1 once in UTC, more than four digits.
        "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+00:01", "-infinity", "infinity", "294277-01-01T00:00:00Z", "10000-01-01T00:00:00Z",
        "99999999999999999999", "9999-12-31T23:59:59-00:01",
    ])
    func rejects(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func acceptsTheWholeRange() {
        #expect(Timestamp(rfc3339: "0001-01-01T00:00:00Z") == Timestamp.earliest)
        #expect(Timestamp(rfc3339: "9999-12-31T23:59:59.999999Z") == Timestamp.latest)
        #expect(Timestamp.earliest.rfc3339 == "0001-01-01T00:00:00.000000Z")
        #expect(Timestamp.latest.rfc3339 == "9999-12-31T23:59:59.999999Z")
    }

    @Test func roundTrips() {
        for micros: Int64 in [0, 1, 999_999, 1_000_000, 1_795_000_000_123_456, -86_400_000_001] {
            let t = Timestamp(microsecondsSinceEpoch: micros)
            #expect(Timestamp(rfc3339: t.rfc3339) == t)
        }
    }
}
