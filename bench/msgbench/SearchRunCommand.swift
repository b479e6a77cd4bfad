import ArgumentParser
import Foundation
import Histogram
import MsgLib
import Synchronization

/// `GET /api/messages/search` over the loaded corpus: a seeded mix of query classes (common word, rare word,
/// two-word phrase; admin or user; with or without before/after), latency per class; then the straightforward
/// query (as the search was written before migration 12) for a sample of the same requests through psql.
struct SearchRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Measure search latency per query class, beside the straightforward query through psql.")

    @OptionGroup var options: BenchOptions
    @Option(help: "Measured requests per class (12 classes).") var requests = 100
    @Option(help: "Unmeasured requests first, to warm the caches.") var warmup = 300
    @Option(help: "Reference queries through psql per class (0: none).") var referenceRequests = 20
    @Option(help: "Concurrent connections.") var concurrency = 1
    @Option(help: "Seed of the request mix.") var seed: UInt64 = 7
    @Option(help: "Users the corpus was loaded with.") var conversations = 1000
    @Option(help: "psql for the reference.") var psql = "/usr/lib/postgresql/15/bin/psql"

    enum Kind: String, CaseIterable { case common, rare, phrase }

    struct Request {
        var kind: Kind
        var admin: Bool
        var filtered: Bool
        var q: String
        var user: Int
        var before: Timestamp?
        var after: Timestamp?
        var className: String { "\(kind.rawValue)/\(admin ? "admin" : "user")/\(filtered ? "filtered" : "all")" }
    }

    /// Words in about 2% of messages (ranks 40...59 of the corpus, 15,000 to 25,000 matches each).
    static var commonWords: [String] { (40...59).map { SearchCorpus.word(rank: $0) } }
    /// Words of the long tail (ranks 20,000...40,000: a few dozen matches each).
    static func rareWord(_ rng: inout SplitMix64) -> String { SearchCorpus.word(rank: 20_000 + Int(rng.next() % 20_000)) }
    /// The corpus's two-word phrases (both words indexed).
    static var phrases: [String] { SearchCorpus.phrases.filter { $0.split(separator: " ").count == 2 } }

    /// The requests of each class; the time windows fall in the year of the corpus that starts at `start` (its first
    /// message, `SearchCorpus.start` unless loaded with `--ending-now`).
    static func plan(seed: UInt64, perClass: Int, conversations: Int, start: Timestamp = SearchCorpus.start) -> [Request] {
        var rng = SplitMix64(seed: seed)
        var out: [Request] = []
        for kind in Kind.allCases {
            for admin in [true, false] {
                for filtered in [false, true] {
                    for _ in 0..<perClass {
                        let q: String
                        switch kind {
                        case .common: q = commonWords[Int(rng.next() % UInt64(commonWords.count))]
                        case .rare: q = rareWord(&rng)
                        case .phrase: q = "\"" + phrases[Int(rng.next() % UInt64(phrases.count))] + "\""
                        }
                        var request = Request(kind: kind, admin: admin, filtered: filtered, q: q, user: 1 + Int(rng.next() % UInt64(conversations)))
                        if filtered {
                            let day: Int64 = 86_400_000_000
                            let start = start.microsecondsSinceEpoch
                            switch rng.next() % 3 {
                            case 0:  // the last 30 days
                                request.after = Timestamp(microsecondsSinceEpoch: start + SearchCorpus.span - 30 * day)
                            case 1:  // everything before a random day
                                request.before = Timestamp(microsecondsSinceEpoch: start + Int64(rng.next() % 365) * day)
                            default:  // a random 30-day window
                                let from = start + Int64(rng.next() % 335) * day
                                request.after = Timestamp(microsecondsSinceEpoch: from)
                                request.before = Timestamp(microsecondsSinceEpoch: from + 30 * day)
                            }
                        }
                        out.append(request)
                    }
                }
            }
        }
        // Interleave the classes in a seeded order.
        for i in stride(from: out.count - 1, to: 0, by: -1) { out.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return out
    }

    func run() async throws {
        raiseFileLimit()
        let signer = options.signer
        let start = try corpusStart()
        let plan = Self.plan(seed: seed, perClass: requests, conversations: conversations, start: start)
        let warm = Self.plan(seed: seed &+ 1, perClass: max(1, warmup / 12), conversations: conversations, start: start)
        var tokens: [Int: String] = [:]
        func token(_ n: Int) -> String {
            if let t = tokens[n] { return t }
            let t = signer.token(for: SearchCorpus.userId(n), ttl: 7200)
            tokens[n] = t
            return t
        }
        func bytes(_ r: Request) -> [UInt8] {
            var path = "/api/messages/search?limit=20&q=" + (r.q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            if let b = r.before { path += "&before=" + b.rfc3339 }
            if let a = r.after { path += "&after=" + a.rfc3339 }
            return Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token(r.admin ? 0 : r.user))\r\n\r\n".utf8)
        }
        let warmBytes = warm.map(bytes)
        let planBytes = plan.map(bytes)

        // Warm-up, then the measured mix, closed loop over `concurrency` keep-alive connections.
        _ = try send(warmBytes)
        let (latencies, failed) = try send(planBytes)
        var byClass: [String: Histogram<UInt64>] = [:]
        var all = Report.histogram()
        for (i, ns) in latencies.enumerated() {
            _ = byClass[plan[i].className, default: Report.histogram()].record(ns)
            _ = all.record(ns)
        }

        // The reference: the first `referenceRequests` requests of each class, through psql.
        // The straightforward query parses every message of a scope again: over all of 10,000,000 it takes minutes.
        var reference: [String: Histogram<UInt64>] = [:]
        var referenceAll = Report.histogram(highestSeconds: 3600)
        if referenceRequests > 0 {
            var taken: [String: Int] = [:]
            let sample = plan.filter { r in
                taken[r.className, default: 0] += 1
                return taken[r.className]! <= referenceRequests
            }
            let times = try runReference(sample)
            for (r, ns) in zip(sample, times) {
                _ = reference[r.className, default: Report.histogram(highestSeconds: 3600)].record(ns)
                _ = referenceAll.record(ns)
            }
        }

        let matches = try matchCounts()
        var result: [String: Any] = [
            "requests": plan.count, "failed": failed, "concurrency": concurrency, "overall": Self.summary(all),
            "matches_admin_all": matches,
        ]
        if referenceRequests > 0 {
            result["reference_overall"] = Self.summary(referenceAll)
            result["ratio_p95"] = Self.ms(all, 95) / Self.ms(referenceAll, 95)
        }
        var classes: [String: Any] = [:]
        for (name, h) in byClass {
            var entry: [String: Any] = ["relay": Self.summary(h)]
            if let ref = reference[name] {
                entry["reference"] = Self.summary(ref)
                entry["ratio_p50"] = Self.ms(h, 50) / Self.ms(ref, 50)
            }
            classes[name] = entry
        }
        result["classes"] = classes
        if options.json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            printTable(byClass: byClass, reference: reference, all: all, referenceAll: referenceAll, failed: failed, matches: matches)
        }
    }

    static func ms(_ h: Histogram<UInt64>, _ p: Double) -> Double { Double(h.valueAtPercentile(p)) / 1e6 }

    static func summary(_ h: Histogram<UInt64>) -> [String: Double] {
        ["count": Double(h.totalCount), "p50_ms": ms(h, 50), "p95_ms": ms(h, 95), "p99_ms": ms(h, 99), "max_ms": Double(h.max) / 1e6]
    }

    /// Sends every request once over `concurrency` connections; returns each one's latency in nanoseconds.
    private func send(_ requests: [[UInt8]]) throws -> ([UInt64], Int) {
        let latencies = Mutex([UInt64](repeating: 0, count: requests.count))
        let next = Atomic<Int>(0)
        let failed = Atomic<Int>(0)
        let group = DispatchGroup()
        let port = options.port
        for _ in 0..<concurrency {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let connection = try HTTPConnection(port: port)
                    while true {
                        let i = next.add(1, ordering: .relaxed).oldValue
                        if i >= requests.count { break }
                        let start = nowNanoseconds()
                        let status = try connection.send(requests[i])
                        let ns = nowNanoseconds() - start
                        latencies.withLock { $0[i] = ns }
                        if status != 200 { failed.add(1, ordering: .relaxed) }
                    }
                } catch {
                    failed.add(1, ordering: .relaxed)
                    FileHandle.standardError.write(Data("search worker: \(error)\n".utf8))
                }
            }
        }
        group.wait()
        return (latencies.withLock { $0 }, failed.load(ordering: .relaxed))
    }

    /// The search as it was before migration 12, with the request's values as literals.
    static func referenceSQL(_ r: Request) -> String {
        func text(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        let owner = r.admin ? "NULL::uuid" : text(SearchCorpus.userId(r.user).lowercasedString) + "::uuid"
        let before = r.before.map { text($0.rfc3339) + "::timestamptz" } ?? "NULL::timestamptz"
        let after = r.after.map { text($0.rfc3339) + "::timestamptz" } ?? "NULL::timestamptz"
        return """
            WITH q AS (SELECT websearch_to_tsquery('english', \(text(r.q))) AS query),
            hits AS (
                SELECT m.id, m.conversation_id, m.sender_id, m.content, m.created_at, m.read_at, m.edited_at,
                       m.deleted_at, c.user_id, ts_rank(to_tsvector('english', m.content), q.query) AS rank,
                       count(*) OVER () AS total
                FROM messages m JOIN conversations c ON c.id = m.conversation_id, q
                WHERE to_tsvector('english', m.content) @@ q.query AND m.deleted_at IS NULL
                  AND (NULL::uuid IS NULL OR m.conversation_id = NULL::uuid)
                  AND (\(owner) IS NULL OR c.user_id = \(owner))
                  AND (\(before) IS NULL OR m.created_at < \(before))
                  AND (\(after) IS NULL OR m.created_at > \(after))
                ORDER BY rank DESC, m.created_at DESC, m.id DESC
                LIMIT 20
            )
            SELECT h.*, u.id AS u_id, u.username AS u_username, u.display_name AS u_display_name, u.slug AS u_slug,
                   u.is_admin AS u_is_admin, u.created_at AS u_created_at,
                   ts_headline('english',
                               translate(translate(h.content, E'\\x01\\x02\\uE000\\uE001\\uE002', ''), '<>&', E'\\uE000\\uE001\\uE002'),
                               q.query,
                               'StartSel=' || E'\\x01' || ', StopSel=' || E'\\x02' || ', MaxFragments=2, MaxWords=24, MinWords=8')
                       AS snippet
            FROM hits h JOIN users u ON u.id = h.user_id, q
            ORDER BY h.rank DESC, h.created_at DESC, h.id DESC;
            """
    }

    /// Runs the reference queries in one psql session with `\timing`; returns each one's time in nanoseconds.
    private func runReference(_ sample: [Request]) throws -> [UInt64] {
        let script = "\\timing on\n" + sample.map(Self.referenceSQL).joined(separator: "\n") + "\n"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("msgbench-search-\(getpid()).sql")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: psql)
        process.arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null", "-d", options.conninfo, "-f", file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("psql reference failed") }
        let times = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line -> UInt64? in
            guard line.hasPrefix("Time: ") else { return nil }
            let ms = Double(line.dropFirst(6).split(separator: " ")[0]) ?? 0
            return UInt64(ms * 1e6)
        }
        guard times.count == sample.count else { throw BenchError("psql printed \(times.count) timings for \(sample.count) queries") }
        return times
    }

    /// The time of the corpus's first message, where its year starts (to the day).
    private func corpusStart() throws -> Timestamp {
        let db = PostgresConnection(conninfo: options.conninfo)
        try db.connect()
        defer { db.close() }
        let first = try db.query("SELECT date_trunc('day', min(created_at)) FROM messages")[0].decode(0, as: Timestamp?.self)
        return first ?? SearchCorpus.start
    }

    /// How many visible messages each query word or phrase matches over all conversations: min, median, max by kind.
    private func matchCounts() throws -> [String: [Int]] {
        let db = PostgresConnection(conninfo: options.conninfo)
        try db.connect()
        defer { db.close() }
        var rng = SplitMix64(seed: seed)
        let samples: [(Kind, [String])] = [
            (.common, Self.commonWords), (.rare, (0..<20).map { _ in Self.rareWord(&rng) }), (.phrase, Self.phrases.map { "\"\($0)\"" }),
        ]
        var out: [String: [Int]] = [:]
        for (kind, queries) in samples {
            let counts = try queries.map { q in
                try db.query(
                    "SELECT count(*) FROM messages WHERE search_vector @@ websearch_to_tsquery('english', $1) AND deleted_at IS NULL", [q]
                )[0].decode(0, as: Int.self)
            }.sorted()
            out[kind.rawValue] = [counts.first ?? 0, counts[counts.count / 2], counts.last ?? 0]
        }
        return out
    }

    private func printTable(
        byClass: [String: Histogram<UInt64>], reference: [String: Histogram<UInt64>], all: Histogram<UInt64>,
        referenceAll: Histogram<UInt64>, failed: Int, matches: [String: [Int]]
    ) {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        print("class                     relay p50 / p95 / p99 ms     reference p50 / p95 / p99 ms   ratio p50")
        for name in byClass.keys.sorted() {
            let h = byClass[name]!
            var line = name.padding(toLength: 26, withPad: " ", startingAt: 0)
            line += "\(f(Self.ms(h, 50))) / \(f(Self.ms(h, 95))) / \(f(Self.ms(h, 99)))".padding(toLength: 29, withPad: " ", startingAt: 0)
            if let r = reference[name] {
                line += "\(f(Self.ms(r, 50))) / \(f(Self.ms(r, 95))) / \(f(Self.ms(r, 99)))".padding(toLength: 31, withPad: " ", startingAt: 0)
                line += String(format: "%.3f", Self.ms(h, 50) / Self.ms(r, 50))
            }
            print(line)
        }
        var line = "ALL (mix)".padding(toLength: 26, withPad: " ", startingAt: 0)
        line += "\(f(Self.ms(all, 50))) / \(f(Self.ms(all, 95))) / \(f(Self.ms(all, 99)))".padding(toLength: 29, withPad: " ", startingAt: 0)
        if referenceAll.totalCount > 0 {
            line += "\(f(Self.ms(referenceAll, 50))) / \(f(Self.ms(referenceAll, 95))) / \(f(Self.ms(referenceAll, 99)))"
                .padding(toLength: 31, withPad: " ", startingAt: 0)
            line += String(format: "%.3f (p95 %.3f)", Self.ms(all, 50) / Self.ms(referenceAll, 50), Self.ms(all, 95) / Self.ms(referenceAll, 95))
        }
        print(line)
        print(
            "requests: \(all.totalCount), failed: \(failed), concurrency: \(concurrency); matches over all conversations (min/median/max): "
                + matches.keys.sorted().map { "\($0) \(matches[$0]!.map(String.init).joined(separator: "/"))" }.joined(separator: ", "))
    }
}
