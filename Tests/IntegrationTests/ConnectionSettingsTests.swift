import MsgLib
import TestSupport
import Testing

/// What a connection is opened with: TCP keepalive and user timeout unless the connection string says otherwise, and
/// the statement timeout a pool asks for, merged with the string's own `options`.
@Suite(.needsDatabase) struct ConnectionSettingsTests {
    @Test func tcpDefaultsApplyUnlessTheConnectionStringSetsThem() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let plain = PostgresConnection(conninfo: database.conninfo)
        try plain.connect()
        for (keyword, value) in PostgresConnection.tcpDefaults {
            #expect(plain.effectiveSetting(keyword) == value, "\(keyword)")
        }
        let custom = PostgresConnection(conninfo: database.conninfo + " keepalives_idle=99 tcp_user_timeout=0")
        try custom.connect()
        #expect(custom.effectiveSetting("keepalives_idle") == "99")
        #expect(custom.effectiveSetting("tcp_user_timeout") == "0")
        #expect(custom.effectiveSetting("keepalives_interval") == "5")
        #expect(try custom.scalar("SELECT 1", as: Int.self) == 1)
        #expect(PostgresConnection(conninfo: database.conninfo).effectiveSetting("keepalives") == nil, "not connected")
    }

    /// The relay's connections ask the server to notice a vanished client as quickly (its row locks released); the
    /// connection string's own options win.
    @Test func theRelaysConnectionsSetTheServersKeepalive() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let relay = try DatabaseConfiguration.fromEnvironment(["DATABASE_URL": database.conninfo], applicationName: "msgrelay")
        let db = PostgresConnection(conninfo: relay.conninfo, statementTimeout: relay.statementTimeout, settings: relay.settings)
        try db.connect()
        #expect(try db.scalar("SELECT inet_client_addr() IS NOT NULL", as: Bool.self), "a TCP connection (Unix sockets ignore these)")
        for (name, value) in [
            ("tcp_keepalives_idle", "10"), ("tcp_keepalives_interval", "5"), ("tcp_keepalives_count", "3"), ("tcp_user_timeout", "30000"),
        ] {
            let shown = try db.scalar("SHOW \(name)", as: String.self)
            #expect(shown == value, "\(name): \(shown)")
        }
        let own = try DatabaseConfiguration.fromEnvironment(
            ["DATABASE_URL": database.conninfo + " options='-c tcp_keepalives_idle=60'"], applicationName: "msgrelay")
        let custom = PostgresConnection(conninfo: own.conninfo, statementTimeout: own.statementTimeout, settings: own.settings)
        try custom.connect()
        #expect(try custom.scalar("SHOW tcp_keepalives_idle", as: String.self) == "60")
    }

    /// A relay's new pool connection gives up after 10 s on a server that does not answer (a request then gets its
    /// 503), not after the kernel's two minutes of SYN retries; the connection string's own value wins.
    @Test func theRelaysPoolConnectionsHaveAConnectTimeout() async throws {
        let database = try await TestDatabase.create(migrated: false)
        for (conninfo, expected) in [(database.conninfo, "10"), (database.conninfo + " connect_timeout=3", "3")] {
            let configuration = try DatabaseConfiguration.fromEnvironment(["DATABASE_URL": conninfo], applicationName: "msgrelay")
            let pool = DatabasePool(configuration: configuration)
            let used = try await pool.withConnection { db in db.effectiveSetting("connect_timeout") }
            #expect(used == expected)
            await pool.shutdown()
        }
    }

    @Test func localSettingsLastForTheirTransaction() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let db = PostgresConnection(conninfo: database.conninfo)
        try db.connect()
        let workMem = try db.scalar("SHOW work_mem", as: String.self)
        // Values travel as parameters: quotes and backslashes arrive as written.
        let hostile = #"it's \ a "value"; RESET ALL"#
        let inside = try db.transaction {
            try db.setLocal([("work_mem", "32MB"), ("jit", "off"), ("msglib.test_value", hostile)])
            try db.setLocal([])
            return (
                try db.scalar("SHOW work_mem", as: String.self), try db.scalar("SHOW jit", as: String.self),
                try db.scalar("SELECT current_setting('msglib.test_value')", as: String.self)
            )
        }
        #expect(inside.0 == "32MB" && inside.1 == "off" && inside.2 == hostile)
        #expect(try db.scalar("SHOW work_mem", as: String.self) == workMem && workMem != "32MB")
        #expect(try db.scalar("SELECT coalesce(current_setting('msglib.test_value', true), '')", as: String.self) == "")
        // An unknown parameter is an error, and the transaction is rolled back.
        #expect(throws: DatabaseError.self) { try db.transaction { try db.setLocal([("work_mem", "8MB"), ("no_such_setting", "1")]) } }
        #expect(try db.scalar("SHOW work_mem", as: String.self) == workMem)
    }

    @Test func theStatementTimeoutKeepsTheConnectionStringsOptions() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let merged = PostgresConnection(
            conninfo: database.conninfo + " options='-c search_path=pg_catalog'", statementTimeout: .seconds(2))
        try merged.connect()
        #expect(try merged.scalar("SHOW statement_timeout", as: String.self) == "2s")
        #expect(try merged.scalar("SHOW search_path", as: String.self) == "pg_catalog")
        // RESET ALL (a pooler's DISCARD ALL) comes back to it.
        try merged.execute("SET statement_timeout = 0; RESET ALL")
        #expect(try merged.scalar("SHOW statement_timeout", as: String.self) == "2s")
        // A statement_timeout in the connection string wins.
        let own = PostgresConnection(conninfo: database.conninfo + " options='-c statement_timeout=7s'", statementTimeout: .seconds(2))
        try own.connect()
        #expect(try own.scalar("SHOW statement_timeout", as: String.self) == "7s")
    }

    /// Migrations' settings win over the connection string's, the role's and the database's, from the first statement.
    @Test func overridesWinOverTheConnectionStringAndTheRole() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let admin = try database.connect()
        try admin.execute("ALTER ROLE CURRENT_USER IN DATABASE \"\(database.name)\" SET statement_timeout = '3s'")
        defer { try? admin.execute("ALTER ROLE CURRENT_USER IN DATABASE \"\(database.name)\" RESET statement_timeout") }
        let plain = PostgresConnection(conninfo: database.conninfo)
        #expect(try plain.scalar("SHOW statement_timeout", as: String.self) == "3s")
        let migrating = PostgresConnection(
            conninfo: database.conninfo + " options='-c statement_timeout=1'", statementTimeout: .seconds(2), overrides: Migrator.sessionOverrides)
        #expect(try migrating.scalar("SHOW statement_timeout", as: String.self) == "0")
        #expect(try migrating.scalar("SELECT count(*) FROM pg_sleep(0.05)", as: Int.self) == 1)
    }

    @Test func theWritersConnectionKeepsOneGenericPlanBesideTheStringsOptions() async throws {
        let database = try await TestDatabase.create(migrated: false)
        var configuration = DatabaseConfiguration(
            conninfo: database.conninfo + " options='-c search_path=pg_catalog'", poolSize: 16, applicationName: "msgrelay",
            statementTimeout: .seconds(3))
        configuration = configuration.writer
        #expect(configuration.poolSize == 1 && configuration.applicationName == "msgrelay-writer")
        let writer = PostgresConnection(
            conninfo: configuration.conninfo, applicationName: configuration.applicationName,
            statementTimeout: configuration.statementTimeout, settings: configuration.settings)
        try writer.connect()
        #expect(try writer.scalar("SHOW plan_cache_mode", as: String.self) == "force_generic_plan")
        #expect(try writer.scalar("SHOW statement_timeout", as: String.self) == "3s")
        #expect(try writer.scalar("SHOW search_path", as: String.self) == "pg_catalog")
        #expect(try writer.scalar("SELECT current_setting('application_name')", as: String.self) == "msgrelay-writer")
        // Only the writer: other connections plan as the server says.
        let other = PostgresConnection(conninfo: database.conninfo)
        try other.connect()
        #expect(try other.scalar("SHOW plan_cache_mode", as: String.self) == "auto")
    }
}
