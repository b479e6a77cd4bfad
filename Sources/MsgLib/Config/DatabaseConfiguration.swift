/// How to reach PostgreSQL, and how many connections to keep.
public struct DatabaseConfiguration: Sendable {
    /// A libpq connection string: `postgresql://` URI or `key=value` pairs. Empty means libpq's own
    /// defaults: the PG* environment variables, `~/.pgpass` and `pg_service.conf`.
    public var conninfo: String
    /// The most connections open at once (default 8).
    public var poolSize: Int
    /// Reported to the server as `application_name` unless the connection string sets one.
    public var applicationName: String
    /// How long a caller waits for a free connection before failing with `.unavailable` (nil, the default: as long as
    /// it takes; the relay sets 10 s from the environment).
    public var poolTimeout: Duration?
    /// The `statement_timeout` of the pool's connections (nil: the server's setting; msgctl leaves it so).
    public var statementTimeout: Duration?

    public init(
        conninfo: String = "", poolSize: Int = 8, applicationName: String = "msglib", poolTimeout: Duration? = nil,
        statementTimeout: Duration? = nil
    ) {
        self.conninfo = conninfo
        self.poolSize = poolSize
        self.applicationName = applicationName
        self.poolTimeout = poolTimeout
        self.statementTimeout = statementTimeout
    }
}
