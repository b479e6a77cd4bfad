import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Search over the stored `search_vector` (migration 12) returns what the straightforward query returns:
/// `to_tsvector('english', content) @@ websearch_to_tsquery(...)`, `ts_rank` over every match, ties newest first.
@Suite(.needsDatabase) struct SearchScaleTests {
    /// The search as it was before migration 12, parsing every message again: the reference.
    static let straightforward = """
        WITH q AS (SELECT websearch_to_tsquery('english', $1) AS query)
        SELECT m.id, ts_rank(to_tsvector('english', m.content), q.query) AS rank, count(*) OVER () AS total,
               ts_headline('english',
                           translate(translate(m.content, E'\\x01\\x02\\uE000\\uE001\\uE002', ''), '<>&', E'\\uE000\\uE001\\uE002'),
                           q.query,
                           'StartSel=' || E'\\x01' || ', StopSel=' || E'\\x02' || ', MaxFragments=2, MaxWords=24, MinWords=8') AS snippet
        FROM messages m JOIN conversations c ON c.id = m.conversation_id, q
        WHERE to_tsvector('english', m.content) @@ q.query AND m.deleted_at IS NULL
          AND ($2::uuid IS NULL OR m.conversation_id = $2)
          AND ($3::uuid IS NULL OR c.user_id = $3)
          AND ($4::timestamptz IS NULL OR m.created_at < $4)
          AND ($5::timestamptz IS NULL OR m.created_at > $5)
        ORDER BY rank DESC, m.created_at DESC, m.id DESC
        LIMIT $6
        """

    struct Seeded {
        let db: PostgresConnection
        let users: [User]
        let conversations: [UUID]
        let start: Timestamp
    }

    /// 3,000 messages in 8 conversations over 60 days, from a fixed seed: a few common words (in a
    /// quarter of the messages or more, often repeated, so ranks tie), rare ones, a frequent phrase, stop words,
    /// HTML-special characters, timestamps shared by several messages, some messages deleted and some edited.
    static func seed() async throws -> Seeded {
        let db = try await TestDatabase.create().connect()
        let admin = try UserRepository.insert(db, username: "admin", displayName: "Admin", isAdmin: true)
        var users: [User] = []
        var conversations: [UUID] = []
        for n in 1...8 {
            let user = try UserRepository.insert(db, username: "user\(n)", displayName: "User \(n)")
            users.append(user)
            conversations.append(try ConversationRepository.insert(db, userId: user.id).id)
        }
        let common = ["order", "invoice", "delivery", "refund", "parcel"]
        let filler = (0..<300).map { "w\(String($0, radix: 36))x" }
        let stop = ["the", "a", "to", "is", "my", "and", "it", "for", "again"]
        let rare = ["zanzibar", "quokka", "fjord", "marzipan"]
        var rng = SplitMix64(seed: 8)
        let start = Timestamp(rfc3339: "2025-03-01T00:00:00Z")!
        var conversationIds: [UUID] = []
        var senderIds: [UUID] = []
        var contents: [String] = []
        var times: [Timestamp] = []
        for i in 0..<3000 {
            let c = Int(rng.next() % 8)
            var words: [String] = []
            for _ in 0..<(3 + Int(rng.next() % 14)) {
                switch rng.next() % 20 {
                case 0...3: words.append(common[Int(rng.next() % UInt64(common.count))])
                case 4...8: words.append(stop[Int(rng.next() % UInt64(stop.count))])
                case 9: words.append(rng.next() % 3 == 0 ? "tracking number" : "number")
                case 10 where rng.next() % 8 == 0: words.append(rare[Int(rng.next() % UInt64(rare.count))])
                case 11 where rng.next() % 10 == 0: words.append(["<b>bold</b>", "A&B", "\"quoted\"", "it's"][Int(rng.next() % 4)])
                default: words.append(filler[Int(rng.next() % UInt64(filler.count))])
                }
            }
            conversationIds.append(conversations[c])
            senderIds.append(rng.next() % 3 == 0 ? admin.id : users[c].id)
            contents.append(words.joined(separator: rng.next() % 5 == 0 ? ", " : " "))
            // Groups of three messages share a timestamp, so ties in rank and time fall back to the id.
            times.append(start.adding(seconds: Double(i / 3) * 5184))
        }
        try db.query(
            """
            INSERT INTO messages (conversation_id, sender_id, content, created_at)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[])
            """, [conversationIds, senderIds, contents, times])
        // Some deleted, some edited (the trigger recomputes the vector on edits).
        try db.query(
            "UPDATE messages SET deleted_at = created_at + interval '1 minute' WHERE id IN (SELECT id FROM messages ORDER BY id OFFSET 5 LIMIT 120)")
        for row in try db.query("SELECT id FROM messages ORDER BY id DESC OFFSET 3 LIMIT 40") {
            _ = try MessageRepository.edit(db, id: try row.decode(0), content: "edited: zanzibar order order delivery of the parcel", by: nil)
        }
        try db.execute("ANALYZE messages")
        return Seeded(db: db, users: users, conversations: conversations, start: start)
    }

    /// A fresh database migrated up to just before `migration`, with the fixtures' users and a conversation of alice's.
    static func databaseBefore(migration: Int) async throws -> (PostgresConnection, Fixtures, Conversation) {
        let db = try await TestDatabase.create(migrated: false).connect()
        try Migrator(migrations: Migration.all.filter { $0.id < migration }).migrate(db)
        let f = try Fixtures.make(db)
        return (db, f, try ConversationRepository.insert(db, userId: f.alice.id))
    }

    /// Runs both searches and expects the same page, ranks, total and snippets.
    static func expectSame(
        _ s: Seeded, _ query: String, _ filter: MessageRepository.SearchFilter, minimumTotal: Int = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let ours = try MessageRepository.search(s.db, query: query, filter: filter)
        let reference = try s.db.query(
            straightforward, [query, filter.conversationId, filter.ownerUserId, filter.before, filter.after, filter.limit])
        let ids: [UUID] = try reference.map { try $0.decode("id") }
        let ranks: [Double] = try reference.map { try $0.decode("rank") }
        let snippets: [Snippet] = try reference.map { Snippet(headline: try $0.decode("snippet")) }
        let total = try reference.first?.decode("total", as: Int.self) ?? 0
        #expect(ours.hits.map(\.message.id) == ids, "page of \(query)", sourceLocation: sourceLocation)
        #expect(ours.hits.map(\.rank) == ranks, "ranks of \(query)", sourceLocation: sourceLocation)
        #expect(ours.hits.map(\.snippet) == snippets, "snippets of \(query)", sourceLocation: sourceLocation)
        #expect(ours.total == SearchTotal(count: total), "total of \(query)", sourceLocation: sourceLocation)
        #expect(total >= minimumTotal, "too few matches for \(query) to prove anything", sourceLocation: sourceLocation)
    }

    @Test func firstPageEqualsTheStraightforwardQuery() async throws {
        let s = try await Self.seed()
        let middle = s.start.adding(seconds: 30 * 86400)
        // Common words: hundreds of matches, many with equal rank.
        try Self.expectSame(s, "order", .init(), minimumTotal: 500)
        try Self.expectSame(s, "Delivery", .init(limit: 100), minimumTotal: 500)
        try Self.expectSame(s, "refund", .init(limit: 1), minimumTotal: 500)
        // Rare words, edited messages included.
        try Self.expectSame(s, "zanzibar", .init(), minimumTotal: 40)
        try Self.expectSame(s, "fjord", .init(), minimumTotal: 3)
        // Two-word phrase, and the other operators.
        try Self.expectSame(s, "\"tracking number\"", .init(), minimumTotal: 100)
        try Self.expectSame(s, "invoice -parcel", .init(), minimumTotal: 100)
        try Self.expectSame(s, "quokka or marzipan", .init(), minimumTotal: 5)
        try Self.expectSame(s, "order invoice", .init(), minimumTotal: 20)
        // Quotes, backslashes and operator characters survive the parsed query's trip through its text form.
        try Self.expectSame(s, "order -\"tracking number\" -refund", .init(), minimumTotal: 50)
        try Self.expectSame(s, "A&B or \"it's\" or O'Brien\\x", .init(), minimumTotal: 1)
        // Filters: before, after, both.
        try Self.expectSame(s, "order", .init(before: middle), minimumTotal: 100)
        try Self.expectSame(s, "\"tracking number\"", .init(after: middle), minimumTotal: 20)
        try Self.expectSame(s, "invoice", .init(before: middle, after: s.start.adding(seconds: 10 * 86400)), minimumTotal: 50)
        // A user's scope, and one conversation.
        try Self.expectSame(s, "parcel", .init(ownerUserId: s.users[2].id), minimumTotal: 30)
        try Self.expectSame(s, "zanzibar", .init(ownerUserId: s.users[5].id, after: middle))
        try Self.expectSame(s, "delivery", .init(conversationId: s.conversations[7], limit: 50), minimumTotal: 30)
        // Nothing, and only stop words.
        try Self.expectSame(s, "xylophone", .init())
        try Self.expectSame(s, "the again", .init())
    }

    /// A scoped search reads a small scope through the conversation index, a large one through the full-text index, and
    /// both ways return the same rows, ranks, snippets and total.
    @Test func aSmallScopeIsReadDirectlyAndBothPathsAgree() async throws {
        let s = try await Self.seed()
        let middle = s.start.adding(seconds: 30 * 86400)
        let scoped: [(String, MessageRepository.SearchFilter)] = [
            ("parcel", .init(ownerUserId: s.users[2].id)), ("\"tracking number\"", .init(ownerUserId: s.users[4].id, after: middle)),
            ("zanzibar", .init(conversationId: s.conversations[1], limit: 5)),
            ("order -refund", .init(conversationId: s.conversations[6], before: middle)),
        ]
        for (query, filter) in scoped {
            // The seed's conversations hold a few hundred messages each.
            #expect(try MessageRepository.searchPath(s.db, filter: filter) == .scope)
            #expect(try MessageRepository.searchPath(s.db, filter: filter, scopeLimit: 20) == .fullTextIndex)
            let tsquery = try s.db.query("SELECT websearch_to_tsquery('english', $1)::text", [query])[0].decode(0, as: String.self)
            func rows(_ path: MessageRepository.SearchPath) throws -> [String] {
                let (sql, parameters) = MessageRepository.searchStatement(tsquery: tsquery, filter: filter, path: path)
                return try s.db.query(sql, parameters).map { row in
                    "\(try row.decode("total", as: Int.self)) \(try row.decode("id", as: UUID?.self).map(\.uuidString) ?? "-") "
                        + "\(try row.decode("rank", as: Double?.self) ?? -1) \(try row.decode("snippet", as: String?.self) ?? "-")"
                }
            }
            let direct = try rows(.scope)
            #expect(direct == (try rows(.fullTextIndex)), "\(query)")
            #expect(direct.count > 1, "too few matches for \(query) to prove anything")
            let (sql, parameters) = MessageRepository.searchStatement(tsquery: tsquery, filter: filter, path: .scope)
            let plan = try s.db.query("EXPLAIN " + sql, parameters).map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
            #expect(!plan.contains("idx_messages_search_terms") && plan.contains("idx_messages_conversation_id"), "\(plan)")
        }
        // Without a scope there is nothing to read directly: the weeks are searched newest first, unless the query has
        // no word that every match contains.
        #expect(try MessageRepository.searchPath(s.db, filter: .init(after: middle)) == .newestWeeks)
        #expect(try MessageRepository.searchPath(s.db, filter: .init(after: middle), indexable: false) == .everyMessage)
        // A query without such a word reads a small scope directly; a large one it would read whole: refused.
        #expect(try MessageRepository.searchPath(s.db, filter: scoped[0].1, indexable: false) == .scope)
        #expect(try MessageRepository.searchPath(s.db, filter: scoped[0].1, indexable: false, scopeLimit: 20) == .tooBroad)
    }

    /// A query too long to be looked up by week (its lexemes might not fit a week entry: pasted CJK text, three bytes a
    /// character) but with words every match has is searched through the plain entries, over all conversations and in
    /// a large scope alike: neither every message read nor refused as too broad.
    @Test func aQueryTooLongForTheWeeksIsSearchedThroughThePlainEntries() async throws {
        let s = try await Self.seed()
        let runs = (0..<16).map { run in String(repeating: String(UnicodeScalar(0x4E00 + run * 97)!), count: 42) }
        let message = try MessageRepository.insert(
            s.db, conversationId: s.conversations[2], senderId: s.users[2].id, content: "pasted: " + runs.joined(separator: " "))
        let query = runs.joined(separator: ", ")
        #expect(query.count < 1_000)
        let plan = try #require(try MessageRepository.searchPlan(s.db, query: query, filter: .init()))
        #expect(plan.tsquery.utf8.count > 2_000 && plan.path == .fullTextIndex)
        let scoped = MessageRepository.SearchFilter(ownerUserId: s.users[2].id)
        #expect(try MessageRepository.searchPath(s.db, filter: scoped, weekly: false, scopeLimit: 20) == .fullTextIndex)
        #expect(try MessageRepository.searchPath(s.db, filter: scoped, indexable: false, weekly: false, scopeLimit: 20) == .tooBroad)
        for filter in [MessageRepository.SearchFilter(), scoped] {
            let found = try MessageRepository.search(s.db, query: query, filter: filter)
            #expect(found.hits.map(\.message.id) == [message.id] && found.total == SearchTotal(count: 1))
        }
    }

    @Test func theFullTextIndexsSettingsEndWithTheSearch() async throws {
        let s = try await Self.seed()
        try s.db.execute("SET work_mem = '1MB'; SET jit = on")
        let ours = try MessageRepository.search(s.db, query: "order", filter: .init())
        #expect(try ours.total.count > 0 && MessageRepository.searchPath(s.db, filter: .init()) == .newestWeeks)
        // The search ran in a transaction of its own, which took its settings with it.
        #expect(try s.db.scalar("SHOW work_mem", as: String.self) == "1MB")
        #expect(try s.db.scalar("SHOW jit", as: String.self) == "on")
        #expect(s.db.isIdle, "no transaction left open")
        try s.db.execute("RESET work_mem; RESET jit")
    }

    @Test func totalIsExactWhenNoRowIsAsked() async throws {
        let s = try await Self.seed()
        let counted = try s.db.scalar(
            "SELECT count(*) FROM messages WHERE to_tsvector('english', content) @@ websearch_to_tsquery('english', 'order') AND deleted_at IS NULL",
            as: Int.self)
        let result = try MessageRepository.search(s.db, query: "order", filter: .init(limit: 0))
        #expect(result.hits.isEmpty && result.total == SearchTotal(count: counted) && counted > 0)
    }

    @Test func storedVectorFollowsInsertsAndEditsAndSearchUsesItsIndex() async throws {
        let s = try await Self.seed()
        // Every visible or deleted row carries exactly the vector the straightforward query would compute.
        #expect(
            try s.db.scalar("SELECT count(*) FROM messages WHERE search_vector IS DISTINCT FROM to_tsvector('english', content)", as: Int.self) == 0)
        let message = try MessageRepository.insert(s.db, conversationId: s.conversations[0], senderId: s.users[0].id, content: "A wombat arrived")
        #expect(try MessageRepository.search(s.db, query: "wombat", filter: .init()).hits.map(\.message.id) == [message.id])
        _ = try MessageRepository.edit(s.db, id: message.id, content: "A platypus arrived", by: nil)
        #expect(try MessageRepository.search(s.db, query: "wombat", filter: .init()).total.count == 0)
        #expect(try MessageRepository.search(s.db, query: "platypus", filter: .init()).hits.map(\.message.id) == [message.id])
        _ = try MessageRepository.softDelete(s.db, id: message.id, by: nil)
        #expect(try MessageRepository.search(s.db, query: "platypus", filter: .init()).total.count == 0)

        // No plan parses text again; over all conversations a rare word is found through the GIN index of the search
        // terms, week by week or all at once, with or without a time range (with a scope the planner may as well read
        // those rows through their own index).
        try s.db.execute("SET enable_seqscan = off")
        defer { try? s.db.execute("RESET enable_seqscan") }
        let window = MessageRepository.SearchFilter(before: s.start.adding(seconds: 86400 * 20), after: s.start)
        let filters: [(MessageRepository.SearchFilter, MessageRepository.SearchPath, Bool)] = [
            (.init(), .newestWeeks, true), (window, .newestWeeks, true), (.init(), .fullTextIndex, true), (window, .fullTextIndex, true),
            (.init(ownerUserId: s.users[1].id), .fullTextIndex, false), (.init(conversationId: s.conversations[3]), .fullTextIndex, false),
        ]
        for (filter, path, gin) in filters {
            let (sql, parameters) = MessageRepository.searchStatement(tsquery: "'zanzibar'", filter: filter, path: path)
            let plan = try s.db.query("EXPLAIN " + sql, parameters).map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
            #expect(!gin || plan.contains("idx_messages_search_terms"), "\(plan)")
            #expect(path != .newestWeeks || plan.contains("(w.week)"), "\(plan)")
            #expect(!plan.contains("to_tsvector"), "\(plan)")
        }
        // Never by walking the time range in the index on creation time and testing every message in it, even when
        // that is the only index the planner may use.
        try s.db.execute("SET enable_bitmapscan = off")
        defer { try? s.db.execute("RESET enable_bitmapscan") }
        for path in [MessageRepository.SearchPath.newestWeeks, .fullTextIndex] {
            let (sql, parameters) = MessageRepository.searchStatement(tsquery: "'order'", filter: window, path: path)
            let plan = try s.db.query("EXPLAIN " + sql, parameters).map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
            // (The newest and oldest times, which bound the weeks, are its first and last entries.)
            #expect(
                plan.split(separator: "\n").allSatisfy { !$0.contains("created_at <") && !$0.contains("created_at >") || !$0.contains("Index Cond") },
                "\(plan)")
        }
    }

    /// Over all conversations, past ``SearchTotal/bound`` matches the newest that many are ranked and the total says
    /// "at least"; a user's search, and one with fewer matches in its time range, stay exact.
    @Test func pastTheBoundTheNewestMatchesAreRanked() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        // Weeks are counted from Thursday 1970-01-01 UTC; 2025-01-02 is a Thursday. 2,000 messages that rank higher in
        // its week, then 10,000 over the three weeks after it.
        let first = Timestamp(rfc3339: "2025-01-02T00:00:00Z")!
        // In statements of 1,000 rows: each row updates the conversation, and one statement's updates of one row cost
        // more and more.
        for batch in 0..<12 {
            try db.query(
                """
                INSERT INTO messages (conversation_id, sender_id, content, created_at)
                SELECT $1::uuid, $2::uuid,
                       CASE WHEN g <= 2000 THEN 'invoice invoice number ' ELSE 'invoice number ' END || g,
                       CASE WHEN g <= 2000 THEN $3::timestamptz + g * interval '1 second'
                            ELSE $3::timestamptz + (1 + g % 3) * interval '7 days' + g * interval '1 second' END
                FROM generate_series($4::int * 1000 + 1, $4::int * 1000 + 1000) g
                """, [conversation.id, f.alice.id, first, batch])
        }
        try db.execute("ANALYZE messages")

        let all = try MessageRepository.search(db, query: "invoice", filter: .init())
        #expect(all.total == SearchTotal(count: 10_000, isExact: false) && all.total.description == "10000+")
        #expect(all.hits.count == 20 && all.hits.allSatisfy { !$0.message.content.hasPrefix("invoice invoice") })
        // The newest week left out: 6,667 of the later messages and the first week's 2,000, which rank first.
        let earlier = try MessageRepository.search(db, query: "invoice", filter: .init(before: first.adding(seconds: 21 * 86400)))
        #expect(earlier.total == SearchTotal(count: 8_667))
        #expect(earlier.hits.count == 20 && earlier.hits.allSatisfy { $0.message.content.hasPrefix("invoice invoice") })
        // A user's own search counts every match.
        let own = try MessageRepository.search(db, query: "invoice", filter: .init(ownerUserId: f.alice.id))
        #expect(own.total == SearchTotal(count: 12_000))
        #expect(own.hits.allSatisfy { $0.message.content.hasPrefix("invoice invoice") })
    }

    /// A word too long for a week's entry (over 2,000 bytes) is stored and found through the plain entries; its
    /// message's other words through the weeks.
    @Test func aVeryLongWordIsStoredAndFound() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let long = String(repeating: "q", count: 2_040)
        let longish = String(repeating: "w", count: 1_001)
        let message = try MessageRepository.insert(
            db, conversationId: conversation.id, senderId: f.alice.id, content: "kumquat \(long) \(longish) \(longish.dropLast())")
        #expect(try db.scalar("SELECT max(octet_length(l)) FROM messages m, unnest(tsvector_to_array(m.search_vector)) l", as: Int.self) == 2_040)
        for query in [long, "kumquat", "kumquat \(long)", longish, String(longish.dropLast())] {
            let result = try MessageRepository.search(db, query: query, filter: .init())
            #expect(result.hits.map(\.message.id) == [message.id] && result.total == SearchTotal(count: 1))
        }
    }

    /// Migration 34 on a table with messages: after an interrupted build it builds the index again, drops the old one,
    /// and every message's entries are its words alone and with its week (none for a lexeme over 2,000 bytes).
    @Test func searchTermsMigrationResumesAndGivesEveryWordItsWeek() async throws {
        let (db, f, conversation) = try await Self.databaseBefore(migration: 34)
        for content in [
            "Pay the invoice", "the", "it's O'Brien\\x a\\b", "kumquat \(String(repeating: "q", count: 2_040))",
            // Words enough for a vector's text past 2,000 bytes.
            (0..<400).map { "word\($0)" }.joined(separator: " ") + " wombat",
        ] {
            _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: content)
        }
        let searchTerms = try #require(Migration.all.first { $0.id == 34 })
        // Interrupted with an invalid index left by a failed concurrent build.
        try db.execute(searchTerms.steps[0])
        try db.execute("CREATE INDEX idx_messages_search_terms ON messages USING gin (search_vector)")
        try db.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'idx_messages_search_terms'::regclass")
        #expect(try Migrator().migrate(db).map(\.id) == Migration.all.filter { $0.id >= 34 }.map(\.id))
        #expect(try db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_messages_search_terms'::regclass", as: Bool.self))
        #expect(try db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_messages_search_vector'", as: Int.self) == 0)
        // Its pending list stays short: every week's scan reads it.
        #expect(
            try db.scalar("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'idx_messages_search_terms'", as: String.self)
                == "gin_pending_list_limit=256")
        // Each vector's entries, against the same written plainly.
        let differing = try db.scalar(
            """
            SELECT count(*) FROM messages m
            WHERE search_terms(m.search_vector, m.created_at) IS DISTINCT FROM strip(m.search_vector) || array_to_tsvector(ARRAY(
                SELECT floor(extract(epoch FROM m.created_at) / 604800)::integer || ' ' || l
                FROM unnest(tsvector_to_array(m.search_vector)) l WHERE octet_length(l) <= 2000))
            """, as: Int.self)
        #expect(differing == 0)
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE search_vector = ''", as: Int.self) == 1)
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE octet_length(strip(search_vector)::text) > 2000", as: Int.self) == 2)
        for word in ["invoice", "O'Brien", "wombat", "kumquat"] {
            #expect(try MessageRepository.search(db, query: word, filter: .init()).total == SearchTotal(count: 1), "\(word)")
        }
        // Running every step again changes nothing.
        for step in searchTerms.steps { try db.execute(step) }
        #expect(try db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_messages_search_terms'", as: Int.self) == 1)
        #expect(try MessageRepository.search(db, query: "wombat", filter: .init()).total == SearchTotal(count: 1))
    }

    @Test func migrationFillsExistingRowsAndResumesAfterAnInterruption() async throws {
        let (db, f, conversation) = try await Self.databaseBefore(migration: 12)
        try db.query(
            "INSERT INTO messages (conversation_id, sender_id, content) SELECT $1, $2, 'message number ' || g || ' about the invoice' FROM generate_series(1, 12000) g",
            [conversation.id, f.alice.id])
        let search = try #require(Migration.all.first { $0.id == 12 })
        // Interrupted after the column and trigger, with an invalid index left by a failed concurrent build.
        try db.execute(search.steps[0])
        try db.execute("CREATE INDEX idx_messages_search_vector ON messages USING gin (search_vector) WHERE deleted_at IS NULL")
        try db.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'idx_messages_search_vector'::regclass")
        try db.query(
            "INSERT INTO messages (conversation_id, sender_id, content) VALUES ($1, $2, 'written during the migration')",
            [conversation.id, f.alice.id])

        #expect(try Migrator(migrations: Migration.all.filter { $0.id <= 12 }).migrate(db).map(\.id) == [12])
        #expect(
            try db.scalar("SELECT count(*) FROM messages WHERE search_vector IS DISTINCT FROM to_tsvector('english', content)", as: Int.self) == 0)
        #expect(try db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_messages_search_vector'::regclass", as: Bool.self))
        // The repository reads columns and functions of later migrations.
        try Migrator().migrate(db)
        #expect(try MessageRepository.search(db, query: "invoice", filter: .init(conversationId: conversation.id)).total == SearchTotal(count: 12000))
        #expect(try MessageRepository.search(db, query: "written", filter: .init()).total == SearchTotal(count: 1))
        // Running every step again changes nothing.
        for step in search.steps { try db.execute(step) }
        #expect(try db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_messages_search_vector'", as: Int.self) == 1)
    }
}
