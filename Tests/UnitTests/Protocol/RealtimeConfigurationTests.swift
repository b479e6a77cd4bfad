import Testing

@testable import RelayKit

/// ALLOWED_ORIGINS as an env file writes it: an uncommented empty line is unset (same-host pages), not "no origin".
@Suite struct RealtimeConfigurationTests {
    @Test func emptyAllowedOriginsIsUnset() throws {
        for empty in ["", "  ", " , "] {
            #expect(try RealtimeConfiguration.fromEnvironment(["ALLOWED_ORIGINS": empty]).allowedOrigins == nil, "\"\(empty)\"")
        }
        #expect(try RealtimeConfiguration.fromEnvironment([:]).allowedOrigins == nil)
        #expect(
            try RealtimeConfiguration.fromEnvironment(["ALLOWED_ORIGINS": "https://a.example/, https://b.example"]).allowedOrigins
                == ["https://a.example", "https://b.example"])
    }
}
