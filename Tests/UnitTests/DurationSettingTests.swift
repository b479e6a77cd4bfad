import Testing

@testable import MsgLib

/// Duration settings (`..._SECONDS`): what is accepted is what is used, never a zero.
@Suite struct DurationSettingTests {
    @Test(arguments: ["0.0004", "0.0009", "0", "-1", "abc", "", "nan", "inf", "315360001"])
    func refused(text: String) {
        #expect(throws: ConfigurationError.self) { try ConfigurationError.seconds("OUTBOX_RETRY_BASE_SECONDS", text) }
    }

    @Test func accepted() throws {
        #expect(try ConfigurationError.seconds("X", "0.001") == .milliseconds(1))
        #expect(try ConfigurationError.seconds("X", "2.5") == .milliseconds(2500))
        #expect(try ConfigurationError.seconds("X", "315360000") == .seconds(315_360_000))
        #expect(try ConfigurationError.seconds("X", nil) == nil)
    }
}
