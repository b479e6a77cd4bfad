extension DatabaseConfiguration {
    /// Reads the configuration from the environment.
    ///
    /// - `DATABASE_URL`: libpq URI or `key=value` string; when unset, libpq's PG* variables,
    ///   `.pgpass` and service files apply.
    /// - `DATABASE_POOL_SIZE`: connections per process (default 8, 1...200).
    /// - `DATABASE_POOL_TIMEOUT_SECONDS`: how long a request waits for a free connection (default 10).
    /// - `DATABASE_STATEMENT_TIMEOUT_SECONDS`: the connections' `statement_timeout` (default 30, 0 turns it off).
    ///
    /// The server drops these connections within about 30 s when the relay's host vanishes
    /// (``PostgresConnection/serverTCPSettings``). JIT compilation is off on these connections (`options='-c jit=on'` in `DATABASE_URL` turns it back on): the
    /// relay's statements run in milliseconds, and one whose estimated cost passes `jit_above_cost` on a large table (a
    /// delivery sweep over a wide range, a catch-up) was compiled for longer than it ran.
    public static func fromEnvironment(_ environment: [String: String], applicationName: String) throws(ConfigurationError)
        -> DatabaseConfiguration
    {
        var configuration = DatabaseConfiguration(conninfo: environment["DATABASE_URL"] ?? "", applicationName: applicationName)
        if let text = environment["DATABASE_POOL_SIZE"] {
            guard let size = Int(text), (1...200).contains(size) else {
                throw ConfigurationError("DATABASE_POOL_SIZE must be a whole number from 1 to 200, not \"\(text)\"")
            }
            configuration.poolSize = size
        }
        configuration.poolTimeout =
            try ConfigurationError.seconds("DATABASE_POOL_TIMEOUT_SECONDS", environment["DATABASE_POOL_TIMEOUT_SECONDS"]) ?? .seconds(10)
        configuration.statementTimeout = .seconds(30)
        configuration.connectTimeout = 10
        configuration.settings["jit"] = "off"
        configuration.settings.merge(PostgresConnection.serverTCPSettings) { own, _ in own }
        if let text = environment["DATABASE_STATEMENT_TIMEOUT_SECONDS"] {
            configuration.statementTimeout =
                Double(text) == 0 ? nil : try ConfigurationError.seconds("DATABASE_STATEMENT_TIMEOUT_SECONDS", text)
        }
        return configuration
    }
}
