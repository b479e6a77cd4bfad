import ArgumentParser
import Foundation
import MsgLib

/// Creates bench users with one conversation each, and the `bench_targets` table that pgbench reads.
struct SetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "setup", abstract: "Create bench users, conversations and bench_targets.")

    @Option(help: "Users to create.") var users = 200
    @Option(help: "Messages of history to give each user, spread over the past year.") var history = 0
    @Option(help: "libpq connection string (default: DATABASE_URL).") var databaseURL: String?

    func run() async throws {
        let db = PostgresConnection(conninfo: databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "")
        try db.connect()
        try db.execute(
            """
            DROP TABLE IF EXISTS bench_targets;
            CREATE TABLE bench_targets (n int PRIMARY KEY, user_id uuid NOT NULL, conversation_id uuid NOT NULL);
            """)
        try db.transaction {
            for n in 1...users {
                let name = "bench\(n)"
                let user = try UserRepository.find(db, username: name) ?? UserRepository.insert(db, username: name, displayName: "Bench \(n)")
                let conversation = try ConversationRepository.find(db, userId: user.id) ?? ConversationRepository.insert(db, userId: user.id)
                try db.query("INSERT INTO bench_targets VALUES ($1, $2, $3)", [n, user.id, conversation.id])
            }
        }
        if history > 0 {
            // Straight into the table, in one statement per user: as if each had written that much over the past year.
            // Row triggers off (the cluster's owner may): one conversation update per row would make this quadratic.
            // History rows thus have no search vector and are not in the conversation counters: nothing a send reads.
            try db.execute("SET session_replication_role = replica")
            for n in 1...users {
                try db.query(
                    """
                    INSERT INTO messages (conversation_id, sender_id, content, created_at)
                    SELECT conversation_id, user_id, 'history message ' || i, now() - interval '365 days' * (1 - i::float8 / $2)
                    FROM bench_targets, generate_series(1, $2) AS i WHERE n = $1
                    """, [n, history])
            }
            try db.execute("SET session_replication_role = DEFAULT")
            try db.execute("ANALYZE messages")
        }
        if try UserRepository.find(db, username: "benchadmin") == nil {
            _ = try UserRepository.insert(db, username: "benchadmin", displayName: "Bench Admin", isAdmin: true)
        }
        print("created \(users) bench users" + (history > 0 ? " with \(history) messages each" : ""))
    }
}

/// One bench user's credentials.
struct BenchTarget: Sendable {
    var userId: UUID
    var conversationId: UUID

    static func load(_ conninfo: String) throws -> [BenchTarget] {
        let db = PostgresConnection(conninfo: conninfo)
        try db.connect()
        return try db.query("SELECT user_id, conversation_id FROM bench_targets ORDER BY n").map {
            BenchTarget(userId: try $0.decode(0), conversationId: try $0.decode(1))
        }
    }
}
