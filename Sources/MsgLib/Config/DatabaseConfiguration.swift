/// How to reach PostgreSQL, and how many connections to keep.
public struct DatabaseConfiguration: Sendable {
    /// A libpq connection string: `postgresql://` URI or `key=value` pairs. Empty means libpq's own
    /// defaults: the PG* environment variables, `~/.pgpass` and `pg_service.conf`.
    public var conninfo: String
    /// The most connections open at once (default 8).
    public var poolSize: Int
    /// Reported to the server as `application_name` unless the connection string sets one.
    public var applicationName: String

    public init(conninfo: String = "", poolSize: Int = 8, applicationName: String = "msglib") {
        self.conninfo = conninfo
        self.poolSize = poolSize
        self.applicationName = applicationName
    }
}
