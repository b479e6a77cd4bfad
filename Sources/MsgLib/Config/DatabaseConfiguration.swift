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
    /// Session settings of the pool's connections (`name: value`, sent at connection start; the connection string's
    /// own `options` win).
    public var settings: [String: String] = [:]
    /// Session settings sent after the connection string's `options` (and `PGOPTIONS`), so that they win over those and
    /// over the role's and the database's: migrations' `statement_timeout = 0`, in force from the first statement.
    public var overrides: [String: String] = [:]
    /// libpq's `connect_timeout` of the pool's connections, in seconds, unless the connection string sets one (nil:
    /// libpq's, none: a server that does not answer keeps a new connection waiting for the kernel's SYN retries, some
    /// two minutes; the relay sets 10 s from the environment).
    public var connectTimeout: Int?

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

extension DatabaseConfiguration {
    /// A configuration for the connection that writes batches of sends: one connection (batches are written one at a
    /// time), named `<applicationName>-writer`, whose prepared statements keep one generic plan. The send statement takes
    /// arrays of any length, so PostgreSQL would otherwise plan it anew for each batch, which costs as much as running it.
    public var writer: DatabaseConfiguration {
        var writer = self
        writer.poolSize = 1
        writer.applicationName = applicationName + "-writer"
        writer.settings["plan_cache_mode"] = "force_generic_plan"
        return writer
    }
}
