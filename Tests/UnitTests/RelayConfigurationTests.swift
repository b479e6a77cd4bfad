import MsgLib
import Testing

@testable import RelayKit

/// The relay's settings as an env file gives them: a `NAME=` line left blank counts as unset, for every setting.
@Suite struct RelayConfigurationTests {
    @Test func blankValuesAreUnset() throws {
        let blanks = [
            "MSGRELAY_HOST", "MSGRELAY_PORT", "MESSAGE_RATE_LIMIT_PER_MINUTE", "MESSAGE_RATE_LIMIT_PER_HOUR", "MESSAGE_RATE_LIMIT_PER_DAY",
            "ALLOWED_ORIGINS", "VAPID_PUBLIC_KEY", "SLACK_WEBHOOK_URL", "ATTACHMENT_STORE", "AWS_S3_BUCKET", "DATABASE_POOL_SIZE",
            "WS_IDLE_TIMEOUT_SECONDS", "HTTP_HEADER_TIMEOUT_SECONDS",
        ]
        var environment = ["JWT_SECRET": "a-secret-of-the-site-that-signs-tokens"]
        for name in blanks { environment[name] = name.hasSuffix("_DAY") ? "  " : "" }
        let configuration = try RelayConfiguration.fromEnvironment(environment)
        let defaults = try RelayConfiguration.fromEnvironment(["JWT_SECRET": "a-secret-of-the-site-that-signs-tokens"])
        #expect(configuration.host == "127.0.0.1" && configuration.port == 8080)
        #expect(configuration.rules == defaults.rules)
        #expect(configuration.attachments.store == nil)
    }

    @Test func aBlankSecretIsStillRefused() {
        #expect(throws: ConfigurationError.self) { try RelayConfiguration.fromEnvironment(["JWT_SECRET": "  "]) }
    }
}
