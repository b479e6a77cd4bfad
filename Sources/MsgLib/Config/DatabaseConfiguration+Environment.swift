extension DatabaseConfiguration {
    /// Reads the configuration from the environment.
    ///
    /// - `DATABASE_URL`: libpq URI or `key=value` string; when unset, libpq's PG* variables,
    ///   `.pgpass` and service files apply.
    /// - `DATABASE_POOL_SIZE`: connections per process (default 8, 1...200).
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
        return configuration
    }
}
