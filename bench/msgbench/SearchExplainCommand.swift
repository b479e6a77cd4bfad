import ArgumentParser
import Foundation
import MsgLib

/// EXPLAIN (ANALYZE, BUFFERS) of the statement `MessageRepository.search` runs, for one request of each query class
/// (docs/search.md shows the output on the 1,000,000-message corpus).
struct SearchExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Print EXPLAIN (ANALYZE, BUFFERS) of the search statement for each query class.")

    @Option(help: "libpq connection string (default: DATABASE_URL).") var databaseURL: String?
    @Option(help: "Runs of each statement before the one shown (warm caches, as in the benchmark).") var warm = 2

    func run() async throws {
        let db = PostgresConnection(conninfo: databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "")
        try db.connect()
        let day: Int64 = 86_400_000_000
        // The corpus's last message (its year ends there, or at `SearchCorpus.end`, unless loaded with `--ending-now`).
        let end = try db.query("SELECT max(created_at) FROM messages")[0].decode(0, as: Timestamp?.self) ?? SearchCorpus.end
        let lastMonth = Timestamp(microsecondsSinceEpoch: end.microsecondsSinceEpoch - 30 * day)
        let middle = Timestamp(microsecondsSinceEpoch: end.microsecondsSinceEpoch - 182 * day)
        let common = SearchRunCommand.commonWords[0]
        let rare = SearchCorpus.word(rank: 25_000)
        let phrase = "\"" + SearchRunCommand.phrases[0] + "\""
        let user = SearchCorpus.userId(1)
        let cases: [(String, String, MessageRepository.SearchFilter)] = [
            ("common word, admin, all conversations", common, .init()),
            ("common word, admin, last 30 days", common, .init(after: lastMonth)),
            ("common word, admin, before the middle of the year", common, .init(before: middle)),
            ("common word, user (the busiest conversation)", common, .init(ownerUserId: user)),
            ("rare word, admin", rare, .init()),
            ("rare word, user", rare, .init(ownerUserId: user)),
            ("two-word phrase, admin", phrase, .init()),
            ("two-word phrase, user, last 30 days", phrase, .init(ownerUserId: user, after: lastMonth)),
        ]
        for (title, q, filter) in cases {
            guard let (tsquery, path) = try MessageRepository.searchPlan(db, query: q, filter: filter) else { continue }
            let (sql, parameters) = MessageRepository.searchStatement(tsquery: tsquery, filter: filter, path: path)
            // With the settings the search runs with, in a transaction of its own.
            let plan = try db.transaction {
                try db.setLocal(MessageRepository.searchSettings(path))
                for _ in 0..<warm { _ = try db.query(sql, parameters) }
                return try db.query("EXPLAIN (ANALYZE, BUFFERS) " + sql, parameters).map { try $0.decode(0, as: String.self) }
            }
            print("### \(title): q=\(q) (\(path))\n")
            print("```\n" + plan.joined(separator: "\n") + "\n```\n")
        }
    }
}
