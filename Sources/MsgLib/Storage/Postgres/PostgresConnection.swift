import CLibPQ
import Foundation

/// One PostgreSQL connection, owning one libpq `PGconn`.
///
/// Every call blocks the calling thread: use it from a thread of its own (``DatabasePool`` runs
/// it on a `NIOThreadPool`), never from an event loop or Swift's cooperative pool.
/// A connection must never be used by two threads at once; the pool lends it to one caller at a time,
/// which is why it is `@unchecked Sendable`.
///
/// Values are only ever passed as parameters (`PQexecParams`/`PQexecPrepared`), never spliced into SQL.
/// Results are requested in binary format and copied into Swift-owned ``PostgresRows``.
package final class PostgresConnection: @unchecked Sendable {
    /// The connection string given to libpq: a `postgresql://` URI, `key=value` pairs, or "" for libpq's
    /// own defaults (PG* variables, `.pgpass`, service files).
    package let conninfo: String
    private let applicationName: String
    /// Sent as `statement_timeout` at connect (nil: the server's own setting).
    private let statementTimeout: Duration?
    private let settings: [String: String]
    /// Sent after the connection string's options: they win.
    private let overrides: [String: String]
    /// Seconds opening the connection may take (libpq's `connect_timeout`), unless the conninfo says otherwise.
    private let connectTimeout: Int?
    private var handle: OpaquePointer?
    /// Prepared statement names by SQL text, valid for the current session only.
    private var prepared: [String: String] = [:]
    /// The number in the next statement name: it only grows, so a name never stands for two SQL texts, even
    /// after entries were forgotten.
    private var nextStatement = 1
    /// Statements replaced after DDL changed their result type, to be deallocated.
    private var stale: [String] = []
    /// The statement ``send(_:_:)`` sent, whose result ``receive()`` reads.
    private var sentStatement = ""

    /// TCP settings used unless the connection string sets them, so a peer that vanished without a FIN is noticed within
    /// about 30 s instead of the kernel's 15 minutes of retransmissions: keepalive probes after 10 s of silence, every
    /// 5 s, 3 unanswered ones drop the link; data unacknowledged for 30 s drops it too. libpq ignores them on Unix-domain
    /// sockets. (Being given, they also win over a `service` file's values.)
    package static let tcpDefaults: KeyValuePairs<String, String> = [
        "keepalives": "1", "keepalives_idle": "10", "keepalives_interval": "5", "keepalives_count": "3", "tcp_user_timeout": "30000",
    ]

    /// The server's side of the same (`tcp_keepalives_*`, `tcp_user_timeout`, session settings any user may set): a
    /// client that vanished without a FIN (a crashed relay host, a network split) is dropped by the server within
    /// about 30 s, and the row locks its transaction held (a conversation, outbox jobs) are released, instead of after
    /// the kernel's 2 hours of keepalive idle time. The relay's connections send them at start-up.
    package static let serverTCPSettings: [String: String] = [
        "tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3", "tcp_user_timeout": "30000",
    ]

    /// Creates a connection object; nothing is opened until ``connect()`` or the first query.
    ///
    /// `statementTimeout` (whole milliseconds, at least 1) becomes the session's `statement_timeout`, sent with the
    /// startup packet as `options=-c statement_timeout=...` ahead of the options the connection string or `PGOPTIONS`
    /// gives, so that a `statement_timeout` set there wins and `RESET ALL` comes back to it. (A `service` file's `options`
    /// are not read, and give way to it.) `settings` are sent the same way (`-c name=value`; names and values without
    /// spaces). `connectTimeout` is libpq's `connect_timeout` unless the conninfo sets one.
    package init(
        conninfo: String, applicationName: String = "msglib", statementTimeout: Duration? = nil, settings: [String: String] = [:],
        overrides: [String: String] = [:], connectTimeout: Int? = nil
    ) {
        self.overrides = overrides
        self.conninfo = conninfo
        self.applicationName = applicationName
        self.statementTimeout = statementTimeout
        self.settings = settings
        self.connectTimeout = connectTimeout
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// True for libpq's words (in English, as the server writes them unless its `lc_messages` says otherwise) for a
    /// connection refused for good: a wrong password, role or database, no `pg_hba.conf` entry, an invalid option value.
    static func isRefusal(_ message: String) -> Bool {
        let lowered = message.lowercased()
        return lowered.hasPrefix("invalid ") || lowered.contains("password authentication failed") || lowered.contains("no pg_hba.conf entry")
            || lowered.contains("authentication failed for user") || lowered.contains("does not exist")
    }

    /// Opens the connection (closing a previous one). Sets `client_encoding` to UTF8.
    /// - Throws: ``DatabaseError`` of kind `.unavailable` when the server cannot be reached, `.configuration` when it
    ///   refuses us for good (see ``isRefusal(_:)``).
    package func connect() throws(DatabaseError) {
        close()
        // libpq's parse errors quote the text around the fault, which may be the password: say only where to look.
        if let ambiguity = ConninfoCheck.ambiguity(conninfo) {
            throw DatabaseError(.configuration, message: "the connection string (DATABASE_URL or --database-url) cannot be read: \(ambiguity)")
        }
        if !conninfo.isEmpty {
            var error: UnsafeMutablePointer<CChar>?
            guard let parsed = PQconninfoParse(conninfo, &error) else {
                if let error { PQfreemem(error) }
                throw DatabaseError(
                    .configuration, message: "the connection string (DATABASE_URL or --database-url) cannot be read: check its syntax")
            }
            PQconninfoFree(parsed)
        }
        // Keywords before `dbname` are defaults the connection string overrides; those after it override the string.
        let timeout = connectTimeout.map { (["connect_timeout"], [String($0)]) } ?? ([], [])
        var keywords = timeout.0 + Self.tcpDefaults.map(\.key) + ["dbname", "client_encoding", "fallback_application_name"]
        var values = timeout.1 + Self.tcpDefaults.map(\.value) + [conninfo, "UTF8", applicationName]
        if let options = startupOptions() {
            keywords.append("options")
            values.append(options)
        }
        let conn = withCStrings(keywords) { kw in
            withCStrings(values) { vals in
                PQconnectdbParams(kw, vals, 1)
            }
        }
        guard let conn else { throw DatabaseError(.unavailable, message: "out of memory opening a connection") }
        if PQstatus(conn) != CONNECTION_OK {
            let message = Self.firstLine(PQerrorMessage(conn))
            PQfinish(conn)
            throw DatabaseError(
                Self.isRefusal(message) ? .configuration : .unavailable, message: message.isEmpty ? "cannot connect to the database" : message)
        }
        // Server notices ("... already exists, skipping") are not errors: keep them off stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        handle = conn
        prepared = [:]
        stale = []
    }

    /// The value libpq uses for a connection keyword (`keepalives_idle`, `options`, ...), or nil when closed or unset.
    package func effectiveSetting(_ keyword: String) -> String? {
        guard let handle, let options = PQconninfo(handle) else { return nil }
        defer { PQconninfoFree(options) }
        return Self.value(of: keyword, in: options)
    }

    /// The host of the open connection as libpq reports it (`PQhost`): a name, an address, or the folder of a Unix
    /// socket (starting with `/`); nil when closed.
    package var connectedHost: String? {
        guard let handle, let host = PQhost(handle) else { return nil }
        return String(cString: host)
    }

    /// The `options` to send: the statement timeout and settings first, then what the connection string or `PGOPTIONS`
    /// says, then the overrides.
    private func startupOptions() -> String? {
        var parts: [String] = []
        if let statementTimeout {
            let milliseconds = max(1, statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000)
            parts.append("-c statement_timeout=\(milliseconds)")
        }
        parts += settings.sorted { $0.key < $1.key }.map { "-c \($0.key)=\($0.value)" }
        let last = overrides.sorted { $0.key < $1.key }.map { "-c \($0.key)=\($0.value)" }
        guard !parts.isEmpty || !last.isEmpty else { return nil }
        let own = Self.options(in: conninfo) ?? ProcessInfo.processInfo.environment["PGOPTIONS"] ?? ""
        return (parts + (own.isEmpty ? [] : [own]) + last).joined(separator: " ")
    }

    /// The `options` a connection string sets, or nil (also for a string libpq cannot parse: connecting reports that).
    private static func options(in conninfo: String) -> String? {
        guard !conninfo.isEmpty, let parsed = PQconninfoParse(conninfo, nil) else { return nil }
        defer { PQconninfoFree(parsed) }
        return value(of: "options", in: parsed)
    }

    /// The value of `keyword` in a libpq option array (ended by a nil keyword).
    private static func value(of keyword: String, in options: UnsafeMutablePointer<PQconninfoOption>) -> String? {
        var option = options
        while let name = option.pointee.keyword {
            if String(cString: name) == keyword { return option.pointee.val.map { String(cString: $0) } }
            option += 1
        }
        return nil
    }

    /// Closes the connection, if open. The object can be connected again.
    package func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        prepared = [:]
        stale = []
    }

    /// True when the connection is open and the server has not closed it.
    ///
    /// Reads whatever the server has sent without blocking, so a connection the server dropped
    /// (restart, `pg_terminate_backend`) is noticed before it is used.
    package var isAlive: Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        guard PQtransactionStatus(handle) == PQTRANS_IDLE else { return true }
        // Drain what the server sent while we were idle: a shutdown notice, then end-of-file.
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        for _ in 0..<8 {
            guard poll(&descriptor, 1, 0) > 0 else { break }
            if PQconsumeInput(handle) == 0 { return false }
        }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// True unless a transaction is open or failed on this connection.
    package var isIdle: Bool {
        guard let handle else { return true }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_IDLE || status == PQTRANS_UNKNOWN
    }

    /// Connects when the connection is closed or was dropped by the server.
    package func ensureConnected() throws(DatabaseError) {
        if !isAlive { try connect() }
    }

    /// The libpq socket descriptor, for readiness polling (LISTEN), or nil when closed.
    package var socketDescriptor: Int32? {
        guard let handle else { return nil }
        let fd = PQsocket(handle)
        return fd >= 0 ? fd : nil
    }

    /// Runs one statement with parameters and returns its rows (empty for commands).
    ///
    /// The statement is prepared once per session and reused; parameters are sent as text and
    /// their types are inferred by the server (cast in SQL where needed, e.g. `$1::uuid[]`).
    @discardableResult
    package func query(_ sql: String, _ parameters: [(any PostgresBindable)?] = []) throws(DatabaseError) -> PostgresRows {
        let texts = try Self.texts(parameters, sql)
        do {
            return try runPrepared(sql, texts)
        } catch let error where error.sqlState == "0A000" || error.sqlState == "26000" {
            forgetStatements(after: error, sql)
            if let handle, PQtransactionStatus(handle) == PQTRANS_INERROR { throw error }
            return try runPrepared(sql, texts)
        } catch let error where error.sqlState == "42P05" {
            // A name we believed free is taken: what the server holds is not what we think. Start a new session.
            close()
            throw DatabaseError(
                .unavailable, message: "prepared statements out of step with the server; reconnecting", statement: sql)
        }
    }

    /// Sends one statement as ``query(_:_:)`` would, without waiting for its result: ``receive()`` reads it, and
    /// nothing else may run on the connection in between. Meanwhile the caller can do other work while the server
    /// executes (and, outside a transaction, commits) it.
    package func send(_ sql: String, _ parameters: [(any PostgresBindable)?]) throws(DatabaseError) {
        let texts = try Self.texts(parameters, sql)
        let conn = try openHandle()
        let name = try statementName(sql, parameterCount: texts.count, conn)
        let sent = withOptionalCStrings(texts) { values in PQsendQueryPrepared(conn, name, Int32(texts.count), values, nil, nil, 1) }
        guard sent == 1 else {
            let error = Self.lost(conn, sql)
            close()
            throw error
        }
        sentStatement = sql
    }

    /// The result of the statement ``send(_:_:)`` sent, once the server answered. A statement the server lost or whose
    /// plan changed type fails here (it is prepared anew next time); ``query(_:_:)`` would have run it again.
    package func receive() throws(DatabaseError) -> PostgresRows {
        let conn = try openHandle()
        let sql = sentStatement
        sentStatement = ""
        var rows: PostgresRows?
        var failure: DatabaseError?
        while let result = PQgetResult(conn) {
            if failure == nil, rows == nil {
                do {
                    try check(result, conn: conn, statement: sql)
                    rows = try Self.copyRows(result, statement: sql)
                } catch { failure = error }
            }
            PQclear(result)
        }
        if let failure {
            forgetStatements(after: failure, sql)
            throw failure
        }
        guard let rows else {
            let error = Self.lost(conn, sql)
            close()
            throw error
        }
        return rows
    }

    /// After `error` from running `sql`, forgets the prepared statements the server no longer has as we believe:
    /// all of them when one was lost (26000: `DISCARD ALL`, a pooler between us; the others may be gone too), or `sql`'s
    /// when its cached plan changed result type after DDL (0A000: it is prepared anew under a new name, and the old one
    /// is dropped once the session can run commands).
    private func forgetStatements(after error: DatabaseError, _ sql: String) {
        if error.sqlState == "26000" {
            prepared = [:]
        } else if error.sqlState == "0A000", let name = prepared.removeValue(forKey: sql) {
            stale.append(name)
        }
    }

    /// The error for a connection lost while running `sql`, with what libpq says of it.
    private static func lost(_ conn: OpaquePointer, _ sql: String) -> DatabaseError {
        DatabaseError(sqlState: "08006", message: firstLine(PQerrorMessage(conn)), detail: nil, constraint: nil, statement: sql)
    }

    /// The parameters as text. libpq sends C strings: a NUL would silently cut a value short.
    private static func texts(_ parameters: [(any PostgresBindable)?], _ sql: String) throws(DatabaseError) -> [String?] {
        let texts = parameters.map { $0?.postgresText }
        if texts.contains(where: { $0?.utf8.contains(0) == true }) {
            throw DatabaseError(.validation, message: "a value holds a NUL character, which PostgreSQL text cannot store", statement: sql)
        }
        return texts
    }

    /// Runs SQL text without parameters, possibly several statements (migrations, `BEGIN`, `COMMIT`).
    package func execute(_ sql: String) throws(DatabaseError) {
        let conn = try openHandle()
        let result = PQexec(conn, sql)
        defer { PQclear(result) }
        try check(result, conn: conn, statement: sql)
    }

    /// Runs `body` inside a transaction: committed when it returns, rolled back when it throws.
    package func transaction<T>(_ begin: String = "BEGIN", _ body: () throws -> T) throws -> T {
        try execute(begin)
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isAlive { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Takes the notifications received so far (after `LISTEN`), reading the socket without blocking.
    package func takeNotifications() throws(DatabaseError) -> [PostgresNotification] {
        let conn = try openHandle()
        if PQconsumeInput(conn) == 0 {
            throw DatabaseError(.unavailable, message: Self.firstLine(PQerrorMessage(conn)))
        }
        var out: [PostgresNotification] = []
        while let note = PQnotifies(conn) {
            out.append(
                PostgresNotification(
                    channel: String(cString: note.pointee.relname),
                    payload: String(cString: note.pointee.extra),
                    processID: note.pointee.be_pid))
            PQfreemem(note)
        }
        return out
    }

    /// Runs `sql` (one statement, no parameters) and returns its rows, giving up after `timeout` seconds.
    ///
    /// Unlike ``query(_:_:)``, this never blocks longer than `timeout`: the query is sent with libpq's asynchronous
    /// calls and the answer awaited with `poll`, so a link whose peer vanished without closing it (failover, a NAT
    /// that forgot us, a partition) is noticed in seconds rather than after TCP keepalive. When no answer arrives in
    /// time the connection is closed, as it can no longer be trusted. For probing a connection kept open, e.g. a LISTEN.
    /// - Throws: ``DatabaseError`` of kind `.unavailable` on a timeout or a lost connection, or the statement's error.
    package func queryWithDeadline(_ sql: String, timeout: Double) throws(DatabaseError) -> PostgresRows {
        let conn = try openHandle()
        let deadline = Date(timeIntervalSinceNow: timeout)
        PQsetnonblocking(conn, 1)
        defer { if handle == conn { PQsetnonblocking(conn, 0) } }
        guard PQsendQueryParams(conn, sql, 0, nil, nil, nil, nil, 1) == 1 else {
            let error = Self.lost(conn, sql)
            close()
            throw error
        }
        // Flush what is sent, then read until each result is complete, every wait bounded by the deadline.
        func awaitResult() throws(DatabaseError) {
            while true {
                let flush = PQflush(conn)
                if flush < 0 {
                    let error = Self.lost(conn, sql)
                    close()
                    throw error
                }
                if flush == 0 && PQisBusy(conn) == 0 { return }
                let remaining = deadline.timeIntervalSinceNow
                guard remaining > 0 else {
                    close()
                    throw DatabaseError(.unavailable, message: "no answer from the server within \(timeout) s", statement: sql)
                }
                let events = Int16(POLLIN) | (flush == 1 ? Int16(POLLOUT) : 0)
                var descriptor = pollfd(fd: PQsocket(conn), events: events, revents: 0)
                let ready = poll(&descriptor, 1, Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up)))
                if ready < 0 && errno != EINTR {
                    close()
                    throw DatabaseError(.unavailable, message: "poll failed on the connection's socket", statement: sql)
                }
                if ready > 0, PQconsumeInput(conn) == 0 {
                    let error = Self.lost(conn, sql)
                    close()
                    throw error
                }
            }
        }
        var rows: PostgresRows?
        var failure: DatabaseError?
        while true {
            try awaitResult()
            guard let result = PQgetResult(conn) else { break }
            if failure == nil {
                do {
                    try check(result, conn: conn, statement: sql)
                    if rows == nil { rows = try Self.copyRows(result, statement: sql) }
                } catch { failure = error }
            }
            PQclear(result)
        }
        if let failure { throw failure }
        guard let rows else { throw Self.lost(conn, sql) }
        return rows
    }

    // MARK: - Private

    private func openHandle() throws(DatabaseError) -> OpaquePointer {
        if handle == nil { try connect() }
        guard let handle else { throw DatabaseError(.unavailable, message: "connection is closed") }
        return handle
    }

    private func runPrepared(_ sql: String, _ texts: [String?]) throws(DatabaseError) -> PostgresRows {
        let conn = try openHandle()
        let name = try statementName(sql, parameterCount: texts.count, conn)
        let result: OpaquePointer? = withOptionalCStrings(texts) { values in
            PQexecPrepared(conn, name, Int32(texts.count), values, nil, nil, 1)
        }
        defer { PQclear(result) }
        try check(result, conn: conn, statement: sql)
        return try Self.copyRows(result!, statement: sql)
    }

    /// The name `sql` is prepared under in this session, preparing it first if needed (and dropping stale ones).
    private func statementName(_ sql: String, parameterCount: Int, _ conn: OpaquePointer) throws(DatabaseError) -> String {
        if !stale.isEmpty, PQtransactionStatus(conn) == PQTRANS_IDLE {
            for name in stale { PQclear(PQexec(conn, "DEALLOCATE \(name)")) }
            stale = []
        }
        if let existing = prepared[sql] { return existing }
        let name = "s\(nextStatement)"
        nextStatement += 1
        let result = PQprepare(conn, name, sql, Int32(parameterCount), nil)
        defer { PQclear(result) }
        try check(result, conn: conn, statement: sql)
        prepared[sql] = name
        return name
    }

    private func check(_ result: OpaquePointer?, conn: OpaquePointer, statement: String) throws(DatabaseError) {
        guard let result else {
            throw DatabaseError(.unavailable, message: Self.firstLine(PQerrorMessage(conn)), statement: statement)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_OUT, PGRES_COPY_IN:
            return
        default:
            let field = { (code: Character) -> String? in
                guard let p = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
                return String(cString: p)
            }
            let sqlState = field("C")
            let message = field("M") ?? Self.firstLine(PQresultErrorMessage(result))
            let lost = PQstatus(conn) != CONNECTION_OK
            throw DatabaseError(
                sqlState: lost && sqlState == nil ? "08006" : sqlState,
                message: message.isEmpty ? Self.firstLine(PQerrorMessage(conn)) : message,
                detail: field("D"),
                constraint: field("n"),
                statement: statement)
        }
    }

    /// The rows of `result`, copied out of libpq's memory. - Throws: for a result of 2 GiB or more (its cells are
    /// indexed by 32-bit offsets), rather than crash.
    private static func copyRows(_ result: OpaquePointer, statement: String) throws(DatabaseError) -> PostgresRows {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var columns: [PostgresColumn] = []
        columns.reserveCapacity(columnCount)
        for c in 0..<columnCount {
            columns.append(PostgresColumn(name: String(cString: PQfname(result, Int32(c))), type: PQftype(result, Int32(c))))
        }
        var bytes: [UInt8] = []
        var cells: [PostgresRows.Cell] = []
        cells.reserveCapacity(rowCount * columnCount)
        for r in 0..<Int32(rowCount) {
            for c in 0..<Int32(columnCount) {
                if PQgetisnull(result, r, c) == 1 {
                    cells.append(.init(start: 0, count: -1))
                    continue
                }
                let length = Int(PQgetlength(result, r, c))
                let start = bytes.count
                if length > 0, let value = PQgetvalue(result, r, c) {
                    value.withMemoryRebound(to: UInt8.self, capacity: length) { p in
                        bytes.append(contentsOf: UnsafeBufferPointer(start: p, count: length))
                    }
                }
                guard let cellStart = Int32(exactly: start), let cellCount = Int32(exactly: length) else {
                    throw DatabaseError(.query, message: "a result of 2 GiB or more cannot be read", statement: statement)
                }
                cells.append(.init(start: cellStart, count: cellCount))
            }
        }
        let affected = String(cString: PQcmdTuples(result))
        return PostgresRows(columns: columns, bytes: bytes, cells: cells, affectedRows: Int(affected) ?? rowCount)
    }

    private static func firstLine(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "" }
        let text = String(cString: message)
        return text.split(separator: "\n", omittingEmptySubsequences: true).first.map {
            $0.trimmingCharacters(in: .whitespaces)
        } ?? ""
    }
}

/// A notification received on a `LISTEN` channel.
package struct PostgresNotification: Sendable, Equatable {
    package var channel: String
    package var payload: String
    package var processID: Int32
}

// MARK: - C string arrays, kept alive for the duration of a call

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    withOptionalCStrings(strings.map { Optional($0) }) { pointers in
        body(pointers + [nil])
    }
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let duplicates: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { duplicates.forEach { free($0) } }
    return body(duplicates.map { $0.map { UnsafePointer($0) } })
}

extension PostgresConnection {
    /// Rolls back a transaction left open (or failed) so the connection can be lent again;
    /// closes the connection when even that fails.
    package func abandonTransaction() {
        guard !isIdle else { return }
        do { try execute("ROLLBACK") } catch { close() }
    }
}

// MARK: - COPY TO STDOUT: streaming a result of any size

extension PostgresConnection {
    /// Runs `sql`, a `COPY ... TO STDOUT` statement, and hands its data to `consume` as it arrives.
    ///
    /// The server streams the rows while `consume` works on the previous ones, and memory stays flat whatever the
    /// size of the result: libpq holds one row at a time (`PQgetCopyData` returns whole rows only), and `consume`
    /// gets them gathered into one reused buffer of about `chunkSize` bytes. A buffer always holds whole rows (for
    /// `FORMAT binary`, the first one starts with the file header and the last one ends with the trailer); it is
    /// emptied after each call.
    ///
    /// COPY takes no parameters: pass values through settings the statement reads with `current_setting(...)`,
    /// set beforehand with `set_config($1, $2, true)` in the same transaction.
    ///
    /// When `consume` throws, the transfer is abandoned and the connection closed (it cannot be used while the
    /// server is still sending); the pool opens a new one when it is next lent.
    /// - Throws: ``DatabaseError`` when the statement fails or the connection is lost midway (`.unavailable`), or
    ///   what `consume` throws.
    package func copyOut(_ sql: String, chunkSize: Int = 1 << 16, _ consume: (inout [UInt8]) throws -> Void) throws {
        let conn = try openHandle()
        try startCopyOut(conn, sql)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunkSize + (1 << 16))
        var failure: (any Error)?
        while true {
            let length = Self.appendCopyData(conn, to: &buffer)
            if length == -1 { break }
            if length < -1 {
                failure = Self.lost(conn, sql)
                break
            }
            if buffer.count >= chunkSize {
                do { try consume(&buffer) } catch {
                    failure = error
                    break
                }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if failure == nil && !buffer.isEmpty {
            do { try consume(&buffer) } catch { failure = error }
        }
        if let failure {
            close()
            throw failure
        }
        try finishCopyOut(conn, sql)
    }

    /// Sends the COPY and checks that the server went into COPY OUT mode.
    private func startCopyOut(_ conn: OpaquePointer, _ sql: String) throws(DatabaseError) {
        let result = PQexec(conn, sql)
        let copying = PQresultStatus(result) == PGRES_COPY_OUT
        if !copying {
            do { try check(result, conn: conn, statement: sql) } catch {
                PQclear(result)
                throw error
            }
        }
        PQclear(result)
        if !copying { throw DatabaseError(.query, message: "the statement is not a COPY TO STDOUT", statement: sql) }
    }

    /// Appends one row of COPY data to `buffer`; returns its length, -1 at the end, -2 on a lost connection.
    private static func appendCopyData(_ conn: OpaquePointer, to buffer: inout [UInt8]) -> Int32 {
        var data: UnsafeMutablePointer<CChar>?
        let length = PQgetCopyData(conn, &data, 0)
        if let data {
            if length > 0 { buffer.append(contentsOf: UnsafeRawBufferPointer(start: data, count: Int(length))) }
            PQfreemem(data)
        }
        return length
    }

    /// Reads the COPY's own result (an error when the server failed midway) and the end of the query.
    private func finishCopyOut(_ conn: OpaquePointer, _ sql: String) throws(DatabaseError) {
        var failure: DatabaseError?
        while let result = PQgetResult(conn) {
            if failure == nil {
                do { try check(result, conn: conn, statement: sql) } catch { failure = error }
            }
            PQclear(result)
        }
        if let failure { throw failure }
    }
}
