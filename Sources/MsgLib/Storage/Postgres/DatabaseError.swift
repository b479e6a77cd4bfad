/// An error from the database layer, with the server's SQLSTATE, message and detail.
///
/// `description` is safe to show a user (no SQL, no row data); `debugDescription`, for logs, adds the SQLSTATE, the
/// constraint and the statement, but never ``detail`` (which may hold row values, e.g. `Key (email)=(...)`).
public struct DatabaseError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is, derived from the SQLSTATE.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String { case unavailable, configuration, conflict, validation, reference, decoding, query }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server cannot be reached, the connection was lost, no pooled connection came free in time, or a statement
        /// ran out of time (SQLSTATE class 08, 57P0x, 53300, 57014).
        public static let unavailable = Kind(.unavailable)
        /// The database is not set up for this program: a table, column or function it uses is missing (the schema is
        /// not migrated: 42P01, 42703, 42883), or the connection string, role, password or database name is refused
        /// (class 28, 3D000, a connection option libpq calls invalid). Trying again will not help.
        public static let configuration = Kind(.configuration)
        /// A unique constraint was violated (23505).
        public static let conflict = Kind(.conflict)
        /// A check or not-null constraint failed, or a value was malformed (23514, 23502, class 22).
        public static let validation = Kind(.validation)
        /// A foreign key points nowhere (23503).
        public static let reference = Kind(.reference)
        /// A result could not be decoded into the Swift type asked for.
        public static let decoding = Kind(.decoding)
        /// Any other failure of a statement.
        public static let query = Kind(.query)

        public var description: String { base.rawValue }
    }

    public let kind: Kind
    /// The five-character SQLSTATE, when the server sent one.
    public let sqlState: String?
    /// The server's primary message (or libpq's).
    public let message: String
    /// The server's detail line, which may hold row values: never shown to end users nor logged.
    public let detail: String?
    /// The name of the violated constraint, when there is one.
    public let constraint: String?
    /// The failing statement, for debugging.
    public let statement: String?
    /// Seconds a client may wait before trying again, when the failure is likely to pass (a busy pool, a timeout).
    public let retryAfter: Int?

    public init(_ kind: Kind, message: String, statement: String? = nil, retryAfter: Int? = nil) {
        self.kind = kind
        self.sqlState = nil
        self.message = message
        self.detail = nil
        self.constraint = nil
        self.statement = statement
        self.retryAfter = retryAfter
    }

    init(sqlState: String?, message: String, detail: String?, constraint: String?, statement: String?) {
        self.kind = Self.kind(for: sqlState)
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
        self.statement = statement
        self.retryAfter = sqlState == Self.queryCanceled ? Self.statementTimeoutRetryAfter : nil
    }

    /// SQLSTATE 57014: the statement was cancelled, by `statement_timeout` (or `pg_cancel_backend`).
    static let queryCanceled = "57014"
    /// Seconds a client is asked to wait after a statement ran out of time: the database is struggling, so not at once.
    static let statementTimeoutRetryAfter = 5

    /// Maps a SQLSTATE to a ``Kind``.
    public static func kind(for sqlState: String?) -> Kind {
        guard let state = sqlState else { return .unavailable }
        switch state {
        case "23505": return .conflict
        case "23514", "23502": return .validation
        case "23503": return .reference
        case "42P01", "42703", "42883", "3D000": return .configuration
        case "53300", "57P01", "57P02", "57P03", queryCanceled: return .unavailable
        default:
            if state.hasPrefix("08") { return .unavailable }
            if state.hasPrefix("22") { return .validation }
            if state.hasPrefix("28") { return .configuration }
            return .query
        }
    }

    public var description: String {
        switch kind {
        case .unavailable: "database unavailable: \(message)"
        case .configuration where ["42P01", "42703", "42883"].contains(sqlState ?? ""):
            "the database's schema is not this version's (run msgctl db migrate): \(message)"
        case .configuration: "database refused: \(message)"
        default: "database error (\(kind)): \(message)"
        }
    }

    public var debugDescription: String {
        var parts = ["\(kind)", sqlState.map { "SQLSTATE \($0)" } ?? "no SQLSTATE", message]
        if let constraint { parts.append("constraint: \(constraint)") }
        if let statement { parts.append("statement: \(statement)") }
        return parts.joined(separator: "; ")
    }
}
