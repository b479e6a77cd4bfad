import Testing

@testable import MsgLib

/// msgrelay's database settings from the environment; msgctl builds its configuration itself and has no statement timeout
/// and no deadline for a pool connection.
@Suite struct DatabaseConfigurationTests {
    @Test func defaultsForTheRelay() throws {
        let configuration = try DatabaseConfiguration.fromEnvironment([:], applicationName: "msgrelay")
        #expect(configuration.poolSize == 8)
        #expect(configuration.poolTimeout == .seconds(10))
        #expect(configuration.statementTimeout == .seconds(30))
        #expect(configuration.settings == ["jit": "off"].merging(PostgresConnection.serverTCPSettings) { $1 })
        #expect(configuration.writer.settings["jit"] == "off" && configuration.writer.settings["tcp_keepalives_idle"] == "10")
        #expect(configuration.connectTimeout == 10)
        #expect(DatabaseConfiguration(conninfo: "").connectTimeout == nil)
        #expect(DatabaseConfiguration(conninfo: "").statementTimeout == nil)
        #expect(DatabaseConfiguration(conninfo: "").settings.isEmpty, "msgctl leaves JIT to the server")
        #expect(DatabaseConfiguration(conninfo: "").poolTimeout == nil)
    }

    @Test func timeoutsAreRead() throws {
        let configuration = try DatabaseConfiguration.fromEnvironment(
            ["DATABASE_POOL_TIMEOUT_SECONDS": "2.5", "DATABASE_STATEMENT_TIMEOUT_SECONDS": "120"], applicationName: "msgrelay")
        #expect(configuration.poolTimeout == .milliseconds(2500))
        #expect(configuration.statementTimeout == .seconds(120))
        let off = try DatabaseConfiguration.fromEnvironment(["DATABASE_STATEMENT_TIMEOUT_SECONDS": "0"], applicationName: "msgrelay")
        #expect(off.statementTimeout == nil)
    }

    @Test(arguments: [
        ["DATABASE_POOL_TIMEOUT_SECONDS": "0"], ["DATABASE_POOL_TIMEOUT_SECONDS": "soon"], ["DATABASE_STATEMENT_TIMEOUT_SECONDS": "-1"],
        ["DATABASE_STATEMENT_TIMEOUT_SECONDS": ""],
    ])
    func badValuesAreRefused(_ environment: [String: String]) {
        let error = #expect(throws: ConfigurationError.self) {
            try DatabaseConfiguration.fromEnvironment(environment, applicationName: "msgrelay")
        }
        #expect(error?.message.hasPrefix(environment.keys.first!) == true)
    }

    /// A statement that ran out of time is unavailable, and asks the client to wait a little.
    @Test func aCancelledStatementIsUnavailableWithRetryAfter() {
        #expect(DatabaseError.kind(for: "57014") == .unavailable)
        let error = DatabaseError(
            sqlState: "57014", message: "canceling statement due to statement timeout", detail: nil, constraint: nil, statement: nil)
        #expect(error.failure == Failure(.unavailable, publicMessage: "Database unavailable", retryAfter: 5, isLogged: true))
        #expect(DatabaseError(.unavailable, message: "connection refused").failure.retryAfter == nil)
    }
}
