import Foundation
import MsgLib
import Synchronization

/// A database of a test's own in the throwaway cluster, so tests never see each other's rows.
package struct TestDatabase: Sendable {
    package let name: String
    package let conninfo: String

    package init(name: String, conninfo: String) {
        self.name = name
        self.conninfo = conninfo
    }

    private static let template = Mutex<String?>(nil)

    /// Creates a new database: migrated (copied from a migrated template) or empty. Made on a thread of its own:
    /// copies of the template wait for each other, and the tests' few cooperative threads must stay free meanwhile.
    package static func create(migrated: Bool = true) async throws -> TestDatabase {
        try await onOwnThread { try createBlocking(migrated: migrated) }
    }

    /// ``create(migrated:)`` on the caller's thread: only for threads that may block.
    package static func createBlocking(migrated: Bool = true) throws -> TestDatabase {
        let admin = PostgresConnection(conninfo: try TestEnvironment.serverConninfo)
        defer { admin.close() }
        let name = "t_" + UUID().lowercasedString.replacingOccurrences(of: "-", with: "")
        let source = migrated ? try migratedTemplate(admin) : "template0"
        // Identifiers cannot be parameters; both names are generated here from hex digits only.
        try createDatabase(admin, name: name, template: source)
        return TestDatabase(name: name, conninfo: try conninfo(for: name))
    }

    /// A new connection to this database.
    package func connect() throws -> PostgresConnection {
        let connection = PostgresConnection(conninfo: conninfo)
        try connection.connect()
        return connection
    }

    /// A pool on this database.
    package func pool(size: Int = 4) -> DatabasePool {
        DatabasePool(configuration: DatabaseConfiguration(conninfo: conninfo, poolSize: size, applicationName: "msgtest"))
    }

    package static func conninfo(for database: String) throws -> String {
        try TestEnvironment.serverConninfo + " dbname=\(database)"
    }

    private static func migratedTemplate(_ admin: PostgresConnection) throws -> String {
        try template.withLock { cached in
            if let cached { return cached }
            let name = "tmpl_\(getpid())_" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            try createDatabase(admin, name: name, template: "template0")
            let connection = PostgresConnection(conninfo: try conninfo(for: name))
            try Migrator().migrate(connection)
            connection.close()
            cached = name
            return name
        }
    }

    private static func createDatabase(_ admin: PostgresConnection, name: String, template: String) throws {
        precondition(name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" })
        // Several tests may copy the template at once; PostgreSQL refuses while another copy reads it.
        var attempt = 0
        while true {
            do {
                try admin.execute("CREATE DATABASE \(name) TEMPLATE \(template)")
                return
            } catch {
                guard error.sqlState == "55006", attempt < 50 else { throw error }
                attempt += 1
                usleep(100_000)
            }
        }
    }
}
