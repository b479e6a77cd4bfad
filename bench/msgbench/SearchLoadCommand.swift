import ArgumentParser
import Foundation
import MsgLib

/// Bulk-loads the search corpus (``SearchCorpus``) with COPY through psql: users, conversations and messages
/// with fixed ids, so every run on every machine holds the same rows.
struct SearchLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Load a seeded corpus of messages with COPY (schema migrated first).")

    @Option(help: "libpq connection string (default: DATABASE_URL).") var databaseURL: String?
    @Option(help: "Messages to load.") var messages = 1_000_000
    @Option(help: "Conversations (one user each) the messages are spread over.") var conversations = 1000
    @Option(help: "Seed of the corpus.") var seed: UInt64 = 42
    @Option(help: "Apply migrations up to this id before loading (default: all), to measure a later one on a full table.")
    var schema: Int?
    @Flag(help: "Spread the 365 days so that the last message is written now (for msgctl stats --since 30d).") var endingNow = false
    @Flag(help: "Load without the full-text search trigger and indexes (for benchmarks that do not search).") var withoutSearch = false
    @Option(help: "psql to run COPY with.") var psql = "/usr/lib/postgresql/15/bin/psql"

    func run() async throws {
        let conninfo = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        let db = PostgresConnection(conninfo: conninfo)
        try db.connect()
        let migrations = Migration.all.filter { $0.id <= (schema ?? Int.max) }
        try Migrator(migrations: migrations).migrate(db)
        guard try db.query("SELECT NOT EXISTS (SELECT 1 FROM messages)")[0].decode(0, as: Bool.self) else {
            throw BenchError("messages is not empty: load into a new database")
        }
        let origin = endingNow ? Timestamp(microsecondsSinceEpoch: Timestamp.now().microsecondsSinceEpoch - SearchCorpus.span) : SearchCorpus.start
        let corpus = SearchCorpus(seed: seed, messages: messages, conversations: conversations, origin: origin)
        if withoutSearch {
            try db.execute(
                """
                DROP INDEX IF EXISTS idx_messages_content_search;
                DROP INDEX IF EXISTS idx_messages_search_vector;
                DROP INDEX IF EXISTS idx_messages_search_terms;
                DROP TRIGGER IF EXISTS trigger_messages_search_vector ON messages;
                """)
        }
        let started = nowNanoseconds()

        var users = ""
        var conversationRows = ""
        for n in 0...conversations {
            let name = SearchCorpus.username(n)
            users +=
                "\(SearchCorpus.userId(n).lowercasedString)\t\(name)\t\(n == 0 ? "Search Admin" : "Searcher \(n)")\t\(name)\t\(n == 0 ? "t" : "f")\n"
            if n > 0 {
                conversationRows += "\(SearchCorpus.conversationId(n).lowercasedString)\t\(SearchCorpus.userId(n).lowercasedString)\n"
            }
        }
        try copy(conninfo, "COPY users (id, username, display_name, slug, is_admin) FROM STDIN") { try $0(users) }
        try copy(conninfo, "COPY conversations (id, user_id) FROM STDIN") { try $0(conversationRows) }

        // The per-row trigger that keeps conversation counters is switched off for the load (the counters are set once
        // afterwards); any other trigger, such as one filling a search column, runs.
        let quiet = ["trigger_update_conversation_on_message"]
        for name in quiet { try db.execute("ALTER TABLE messages DISABLE TRIGGER \(name)") }
        defer { for name in quiet { try? db.execute("ALTER TABLE messages ENABLE TRIGGER \(name)") } }
        let adminId = SearchCorpus.userId(0).lowercasedString
        try copy(conninfo, "COPY messages (id, conversation_id, sender_id, content, created_at, read_at, deleted_at) FROM STDIN") { write in
            var chunk = ""
            chunk.reserveCapacity(1 << 20)
            try corpus.forEach { row in
                let sender = row.fromAdmin ? adminId : SearchCorpus.userId(row.conversation).lowercasedString
                chunk += row.id.lowercasedString
                chunk += "\t\(SearchCorpus.conversationId(row.conversation).lowercasedString)\t\(sender)\t"
                chunk += Self.copyEscaped(row.content)
                chunk += "\t\(row.createdAt.rfc3339)\t\(row.readAt?.rfc3339 ?? "\\N")\t\(row.deletedAt?.rfc3339 ?? "\\N")\n"
                if chunk.utf8.count > 1 << 20 {
                    try write(chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            try write(chunk)
        }
        let loaded = nowNanoseconds()
        try db.execute(
            """
            UPDATE conversations c SET last_message_at = s.last, unread_count_admin = s.unread_admin, unread_count_user = s.unread_user
            FROM (SELECT m.conversation_id, max(m.created_at) AS last,
                         count(*) FILTER (WHERE m.read_at IS NULL AND m.deleted_at IS NULL AND m.sender_id <> '\(adminId)') AS unread_admin,
                         count(*) FILTER (WHERE m.read_at IS NULL AND m.deleted_at IS NULL AND m.sender_id = '\(adminId)') AS unread_user
                  FROM messages m GROUP BY m.conversation_id) s
            WHERE c.id = s.conversation_id;
            """)
        try db.execute("VACUUM (ANALYZE) messages")
        try db.execute("VACUUM (ANALYZE) conversations")
        try db.execute("VACUUM (ANALYZE) users")
        let done = nowNanoseconds()
        let size = try db.query("SELECT pg_total_relation_size('messages')")[0].decode(0, as: Int.self)
        Report.print(
            [
                "messages": Double(messages), "copy_seconds": Double(loaded - started) / 1e9,
                "vacuum_analyze_seconds": Double(done - loaded) / 1e9, "messages_total_mib": Double(size) / 1_048_576,
            ], json: false)
    }

    /// Runs one `COPY ... FROM STDIN` in psql, feeding it what `produce` writes.
    private func copy(_ conninfo: String, _ statement: String, _ produce: ((String) throws -> Void) throws -> Void) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: psql)
        process.arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", statement]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        signal(SIGPIPE, SIG_IGN)
        try produce { try input.fileHandleForWriting.write(contentsOf: Data($0.utf8)) }
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("psql \(statement) failed") }
    }

    /// COPY's text format: backslash, tab, newline and carriage return escaped.
    static func copyEscaped(_ text: String) -> String {
        guard text.contains(where: { $0 == "\\" || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else { return text }
        return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\t", with: "\\t")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    }
}
