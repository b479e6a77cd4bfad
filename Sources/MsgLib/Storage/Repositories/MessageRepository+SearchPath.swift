extension MessageRepository {
    /// How a search finds its matches.
    package enum SearchPath: Sendable, Equatable {
        /// Over all conversations, through the week entries of the full-text index (`idx_messages_search_terms`), one
        /// week at a time, newest first, until ``SearchTotal/bound`` + 1 matches.
        case newestWeeks
        /// Through the plain entries of the full-text index (`idx_messages_search_terms`): every message with the words
        /// of the query, whatever the scope.
        case fullTextIndex
        /// Every visible message in scope tested: a query without a word that every match has (`-word` alone,
        /// `a or -b`) over all conversations.
        case everyMessage
        /// Through the scope's own index (`idx_messages_conversation_id`): every message of the conversation or the
        /// user's conversation (in the time range), each stored vector tested.
        case scope
        /// Not searched: a query without a word that every match has, in a scope of more than ``scopeScanLimit``
        /// messages, would test every one of them (``search(_:query:filter:)`` throws ``SearchTooBroad``).
        case tooBroad
    }

    /// A search refused as ``SearchPath/tooBroad``.
    package struct SearchTooBroad: Error {}

    /// The settings the search statement on `path` runs with, for its transaction only; none on ``SearchPath/scope``,
    /// whose statement runs on its own. Through the full-text index:
    /// - `work_mem` 32 MB: the bitmap of a common word's matches stays exact. With PostgreSQL's default of 4 MB, past a
    ///   few million messages it keeps whole pages instead of rows and tests every message of those pages again, and
    ///   the list of matches spills to disk: at 10,000,000 messages an admin's common word took 1.6 to 2 times as long.
    ///   32 MB holds a bitmap naming every page of a 4 GB table (about 10,000,000 messages); it is a bound, not an
    ///   allocation.
    /// - JIT off: compiling the statement (its cost is past `jit_above_cost` for a common word) took longer than it saved.
    package static func searchSettings(_ path: SearchPath) -> [(name: String, value: String)] {
        path == .scope ? [] : [("work_mem", "32MB"), ("jit", "off")]
    }

    /// A scoped search reads its scope directly when the scope holds at most this many messages: testing a few
    /// thousand stored vectors costs less than the full-text index's entries for a common word or a phrase, which
    /// grow with the whole table (tens of thousands at 1,000,000 messages).
    package static let scopeScanLimit = 5_000

    /// The query parsed once (`websearch_to_tsquery('english', ...)` in text form) and the path its search takes for
    /// `filter`; nil when only stop words or punctuation remain, and nothing can match (PostgreSQL would scan for
    /// nothing and say so in a notice). Lexemes of at most 2,000 bytes are given their week (migration 34): a query that
    /// may hold a longer one is searched through the plain entries, which hold every lexeme.
    package static func searchPlan(_ db: PostgresConnection, query: String, filter: SearchFilter) throws -> (tsquery: String, path: SearchPath)? {
        let parsed = try db.query(
            "SELECT q::text, querytree(q) NOT IN ('', 'T') FROM websearch_to_tsquery('english', $1) AS q", [query])[0]
        let tsquery = try parsed.decode(0, as: String.self)
        guard !tsquery.isEmpty else { return nil }
        let indexable = try parsed.decode(1, as: Bool.self)
        return (tsquery, try searchPath(db, filter: filter, indexable: indexable, weekly: tsquery.utf8.count <= 2_000))
    }

    /// The path for `filter`. Over all conversations, ``SearchPath/newestWeeks`` when the query names words that every
    /// match has (`indexable`: PostgreSQL's `querytree` is not empty; `-word` alone or `a or -b` find matches without
    /// one) and may be looked up by week (`weekly`: no lexeme of it can be too long for a week entry), else
    /// ``SearchPath/fullTextIndex``; ``SearchPath/everyMessage`` when it is not indexable. Within one conversation or one
    /// user's conversation, ``SearchPath/scope`` when the scope (in its time range, deleted messages counted) holds at
    /// most `scopeLimit` messages, found by counting the scope's index entries up to one more than that; otherwise
    /// ``SearchPath/fullTextIndex``, or ``SearchPath/tooBroad`` for a query that is not indexable.
    package static func searchPath(
        _ db: PostgresConnection, filter: SearchFilter, indexable: Bool = true, weekly: Bool = true, scopeLimit: Int = scopeScanLimit
    ) throws -> SearchPath {
        var parameters: [(any PostgresBindable)?] = []
        func bind(_ value: any PostgresBindable) -> String {
            parameters.append(value)
            return "$\(parameters.count)"
        }
        let (scope, window) = filter.conditions(bind)
        guard !scope.isEmpty else { return indexable ? (weekly ? .newestWeeks : .fullTextIndex) : .everyMessage }
        let limit = bind(scopeLimit + 1)
        let count = try db.query(
            "SELECT count(*) FROM (SELECT 1 FROM messages m WHERE \((scope + window).joined(separator: " AND ")) LIMIT \(limit)) s", parameters
        )[0].decode(0, as: Int.self)
        guard count > scopeLimit else { return .scope }
        return indexable ? .fullTextIndex : .tooBroad
    }
}

extension MessageRepository.SearchFilter {
    /// The SQL conditions on `messages m` of the scope (one conversation, or the user's conversation; none for the
    /// admin's search over all) and of the time window, each value bound through `bind` in that order.
    func conditions(_ bind: (any PostgresBindable) -> String) -> (scope: [String], window: [String]) {
        var scope: [String] = []
        if let conversationId { scope.append("m.conversation_id = \(bind(conversationId))") }
        if let ownerUserId { scope.append("m.conversation_id IN (SELECT id FROM conversations WHERE user_id = \(bind(ownerUserId)))") }
        var window: [String] = []
        if let before { window.append("m.created_at < \(bind(before))") }
        if let after { window.append("m.created_at > \(bind(after))") }
        return (scope, window)
    }
}
