import Foundation
@preconcurrency import Glibc
import MsgLib

/// The interactive admin console: one thread polls the terminal, the live connection and signals; commands in
/// the style of psql's backslash commands act through the messaging service; plain text replies in the open
/// conversation. Unchecked Sendable: after it is handed to its thread, only that thread touches it.
final class ReplSession: @unchecked Sendable {
    let service: MessagingService
    let admin: User
    let live: LiveConnection?
    private let editor: LineEditor
    private let signals: SignalPipe

    private var open: (conversation: Conversation, user: User)?
    private var connected = false
    /// Whether the first socket's backlog (the admin's unread messages, which the console lists itself) is over: from
    /// its `replayed` frame, or the first message with a cursor (a live one).
    private var following = false
    /// The conversations whose user is shown typing (a client repeats `is_typing` every few seconds while it lasts).
    private var typingShown = Set<String>()
    private var quit = false
    /// Lines of a multi-line reply (`\m` ... `.`), nil when not composing one.
    private var composing: [String]?
    /// Replies sent from here, to recognise them when the relay echoes them and when they are read.
    private var sent: [UUID: String] = [:]
    /// The last reply whose outcome is unknown (the database connection was lost while it was sent: it may have been
    /// written). The same text typed again in the same conversation goes with the same key, so it is written once.
    private var uncertain: (conversationId: UUID, text: String, key: String)?
    private var typingSince: Date?
    private var historyMode = HistoryMode.commands
    private var usernames: [String] = []
    private var conversationIds: [String] = []

    init(service: MessagingService, admin: User, live: LiveConnection?, historyFile: String?) throws {
        self.service = service
        self.admin = admin
        self.live = live
        signals = try SignalPipe([SIGINT, SIGTERM, SIGHUP, SIGWINCH])
        var complete: (String, String) -> [String] = { _, _ in [] }
        editor = LineEditor(prompt: "msg> ", historyFile: historyFile) { line, word in complete(line, word) }
        complete = { [unowned self] line, word in self.completions(line: line, word: word) }
        editor.setCompletion(complete)
    }

    /// Runs until `\q`, Ctrl-D, SIGTERM or SIGHUP; the terminal is restored whatever happens.
    func run() {
        defer {
            editor.saveHistory(keeping: historyMode.records)
            editor.finish()
            live?.stop()
        }
        refreshNames()
        if live == nil {
            editor.printAbove("No relay token (--token, or JWT_SECRET to sign one): working on the database alone, without live updates.")
        } else {
            live?.start()
        }
        printUnreadSummary()
        updatePrompt()
        editor.start()
        while !quit {
            var descriptors = [
                pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0), pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0),
            ]
            if let live { descriptors.append(pollfd(fd: live.wakeDescriptor, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), 1000)
            if ready < 0, errno != EINTR { break }
            if descriptors[1].revents != 0 { handleSignals() }
            if descriptors.count > 2, descriptors[2].revents != 0 { handleLiveEvents() }
            if descriptors[0].revents & Int16(POLLIN | POLLHUP) != 0 {
                switch editor.feed() {
                case .pending: break
                case .endOfInput:
                    quit = true
                case .line(let line):
                    stopTyping()
                    handle(line)
                }
            }
            updateTyping()
        }
    }

    // MARK: - Input

    private func handle(_ line: String) {
        if var lines = composing {
            if line == "." {
                composing = nil
                updatePrompt()
                send(lines.joined(separator: "\n"))
            } else if line == "\\c" {
                composing = nil
                editor.printAbove("(reply abandoned)")
                updatePrompt()
            } else {
                lines.append(line)
                composing = lines
            }
            return
        }
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return }
        if historyMode.records(line) { editor.addHistory(line) }
        guard trimmed.hasPrefix("\\") else {
            send(line)
            return
        }
        let parts = trimmed.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        guard let command = ReplCommandTable.command(named: parts[0]) else {
            return say("unknown command \(TerminalText.escaped(parts[0])); \\? lists the commands")
        }
        if command.requiresArgument, argument.isEmpty { return say("usage: \(command.usage)") }
        do {
            try command.run(self, argument)
        } catch {
            say("error: \(Self.describe(error))")
        }
    }

    private func send(_ text: String) {
        guard let open else { return say("open a conversation first: \\o USER (\\l lists them)") }
        let conversationId = open.conversation.id
        let retried = uncertain.flatMap { $0.conversationId == conversationId && $0.text == text ? $0.key : nil }
        let key = retried ?? ClientKey.clientId(UUID())
        do {
            let message = try blocking { [service, admin] in
                try await service.sendMessage(viewer: admin, conversationId: conversationId, content: text, clientKey: key, source: .msgctl)
                    .message
            }
            uncertain = nil
            sent[message.id] = text
            live?.saw(messageId: message.id.lowercasedString)
            say(Self.line(time: message.createdAt, who: "you", content: text))
        } catch let error as DatabaseError where error.kind == .unavailable {
            uncertain = (conversationId, text, key)
            say("may not have been sent: \(Self.describe(error)); type it again to send it (it is written once)")
        } catch {
            say("not sent: \(Self.describe(error))")
        }
    }

    // MARK: - Commands (see ReplCommandTable)

    func requestQuit() {
        quit = true
    }

    func startComposing() {
        guard open != nil else { return say("open a conversation first: \\o USER") }
        composing = []
        say("writing a long reply: end it with a line holding a single . (\\c abandons it)")
        updatePrompt()
    }

    func close() {
        open = nil
        updatePrompt()
    }

    func listConversations(_ argument: String) throws {
        let (listings, total) = try blocking { [service, admin] in
            try await service.listConversations(
                viewer: admin, page: 1, limit: 50, archived: argument == "archived", unreadOnly: argument == "unread")
        }
        guard !listings.isEmpty else { return say("no conversations") }
        var table = TextTable("USER", "UNREAD", "LAST MESSAGE", "PREVIEW")
        for item in listings {
            let preview = String((item.lastMessagePreview ?? "").replacingOccurrences(of: "\n", with: " ").prefix(50))
            table.append([
                TableCell(item.user.username), .count(item.conversation.unreadCountAdmin, emphasiseNonZero: true),
                .time(item.conversation.lastMessageAt),
                TableCell(preview),
            ])
        }
        say(table.render() + "\(listings.count) of \(total) conversations")
        refreshNames(listings)
    }

    func openConversation(_ name: String) throws {
        let found = try blocking { [service] in try await service.resolveConversation(name) }
        open = found
        updatePrompt()
        // Only what was shown is read: the newest 20, or back to the oldest unread one, 200 at most (so that \\n moves on
        // to the next conversation); older ones, or ones arrived since, stay unread, and the admin is told.
        let span = try blocking { [service, admin] in
            try await service.messagesSinceOldestUnread(viewer: admin, conversationId: found.conversation.id)
        }
        try markRead(quietly: true, ids: try showMessages(limit: max(20, min(span, 200))))
        if span > 200 { say("unread messages older than these 200 are not shown: \\h N shows more, \\r marks them all read") }
    }

    func openNextUnread() throws {
        let (listings, _) = try blocking { [service, admin] in
            try await service.listConversations(viewer: admin, page: 1, limit: 100, unreadOnly: true)
        }
        guard let next = listings.min(by: { ($0.conversation.lastMessageAt ?? .now()) < ($1.conversation.lastMessageAt ?? .now()) }) else {
            return say("nothing unread")
        }
        try openConversation(next.conversation.id.lowercasedString)
    }

    /// Shows the open conversation's newest messages; returns their ids.
    @discardableResult func showMessages(limit: Int) throws -> [UUID] {
        guard let open else {
            say("open a conversation first: \\o USER")
            return []
        }
        let (messages, total) = try blocking { [service, admin] in
            try await service.listMessages(viewer: admin, conversationId: open.conversation.id, page: .init(limit: max(1, min(limit, 200))))
        }
        var text = Transcript.heading(displayName: open.user.displayName, username: open.user.username, total: total)
        for item in messages {
            text +=
                "\n"
                + Self.line(
                    time: item.message.createdAt,
                    who: item.sender.isAdmin ? (item.sender.id == admin.id ? "you" : item.sender.username) : item.sender.username,
                    content: item.message.content, attachments: item.message.attachments)
            if !item.message.reactions.isEmpty {
                text += "\n" + Transcript.reactions(ReactionRepresentation.list(item.message.reactions, viewer: admin))
            }
            live?.saw(messageId: item.message.id.lowercasedString)
        }
        say(text)
        return messages.map(\.message.id)
    }

    func search(_ query: String) throws {
        let (hits, total) = try blocking { [service, admin] in
            try await service.search(viewer: admin, query: query, options: .init(limit: 20))
        }
        let color = Terminal.standardOutputHasColor
        var text = "\(hits.count) of \(total) matches"
        for hit in hits {
            text += "\n\(Self.time(hit.message.createdAt)) \(TerminalText.escaped(hit.user.username)): "
            text += hit.snippet.terminalText(color: color)
        }
        say(text)
    }

    /// Marks read the open conversation's unread messages, all of them or only `ids`.
    func markRead(quietly: Bool = false, ids: [UUID]? = nil) throws {
        guard let open else { return say("open a conversation first: \\o USER") }
        if ids?.isEmpty == true { return }
        let read = try blocking { [service, admin] in
            try await service.bulkRead(viewer: admin, conversationId: open.conversation.id, messageIds: ids)
        }
        if !quietly || !read.isEmpty { say("marked \(read.count) message\(read.count == 1 ? "" : "s") read") }
    }

    func setArchived(_ archived: Bool) throws {
        guard let current = open else { return say("open a conversation first: \\o USER") }
        _ = try blocking { [service, admin] in try await service.setArchived(viewer: admin, id: current.conversation.id, archived: archived) }
        say("\(archived ? "archived" : "unarchived") the conversation with \(TerminalText.escaped(current.user.username))")
        if archived {
            open = nil
            updatePrompt()
        }
    }

    /// Exports the open conversation as Markdown through the same exporter as `msgctl export` (streamed,
    /// written atomically).
    func export(to path: String) throws {
        guard let open else { return say("open a conversation first: \\o USER") }
        let request = ExportRequest(format: .markdown, conversationId: open.conversation.id, outputPath: path)
        let summary = try blocking { [service] in try await Exporter.run(request, service: service) }
        say("wrote \(Self.count(summary.messages, "message")) to \(TerminalText.escaped(path))")
    }

    /// `\set`: shows the settings, or changes one (`history all|commands`).
    func set(_ argument: String) {
        let words = argument.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let usage = "usage: \\set [history \(HistoryMode.allCases.map(\.rawValue).joined(separator: "|"))]"
        switch words.count {
        case 0: say("history \(historyMode.rawValue)")
        case 1 where words[0] == "history": say("history \(historyMode.rawValue)")
        case 2 where words[0] == "history":
            guard let mode = HistoryMode(rawValue: words[1]) else { return say(usage) }
            historyMode = mode
            say(mode == .all ? "history all: replies are recorded too" : "history commands: replies are kept out of the history")
        default: say(usage)
        }
    }

    func showHelp() {
        say(ReplCommandTable.helpText)
    }

    private func printUnreadSummary() {
        guard
            let (listings, total) = try? blocking({ [service, admin] in
                try await service.listConversations(viewer: admin, page: 1, limit: 100, unreadOnly: true)
            })
        else { return say("the database is not reachable: \\l and the other commands will retry") }
        let messages = listings.reduce(0) { $0 + $1.conversation.unreadCountAdmin }
        say(
            total == 0
                ? "nothing unread. \\? lists the commands."
                : "\(Self.count(messages, "unread message")) in \(Self.count(total, "conversation")): \\n opens the next. \\? lists the commands.")
    }

    // MARK: - Live events

    private func handleLiveEvents() {
        guard let live else { return }
        for event in live.takeEvents() {
            switch event {
            case .connected:
                if !connected { say("connected to the relay") }
                connected = true
            case .disconnected(let reason, let retryIn):
                if connected || retryIn == 1 {
                    say("relay unreachable (\(TerminalText.escaped(reason))); retrying in \(retryIn) s, the database still works")
                }
                connected = false
            case .frame(let frame):
                show(frame)
            }
            updatePrompt()
        }
    }

    private func show(_ frame: LiveFrame) {
        switch frame {
        case .message(let message):
            if !following {
                guard message.representation.cursor != nil else { return }
                following = true
            }
            if !message.senderIsAdmin { typingShown.remove(message.conversationId) }
            if let id = UUID(uuidString: message.id), sent[id] != nil { return }
            let inOpen = open?.conversation.id.lowercasedString == message.conversationId
            // The user's messages are the admin's to read (whatever the sender's role says now).
            let fromItsUser = open?.conversation.userId.lowercasedString == message.representation.senderId
            let who = message.senderIsAdmin ? "\(message.username) (admin)" : message.username
            say(
                Self.line(
                    time: message.createdAt, who: inOpen ? who : "\(who) [not open]", content: message.content, attachments: message.attachments))
            if inOpen, fromItsUser, let id = UUID(uuidString: message.id) {
                _ = try? blocking { [service, admin] in try await service.markRead(viewer: admin, messageIds: [id]) }
            }
            remember(username: message.username)
            if !conversationIds.contains(message.conversationId) { conversationIds.append(message.conversationId) }
        case .read(let messageId):
            if let id = UUID(uuidString: messageId), let text = sent[id] {
                say("✓ read: \(TerminalText.escaped(String(text.prefix(40))))")
            }
        case .typing(let conversationId, _, let isTyping):
            guard isTyping else {
                typingShown.remove(conversationId)
                return
            }
            if let open, open.conversation.id.lowercasedString == conversationId, typingShown.insert(conversationId).inserted {
                say("\(TerminalText.escaped(open.user.username)) is typing…")
            }
        case .replayed(let count, let truncated):
            guard following else {
                following = true
                return
            }
            if count > 0 { say("caught up: \(count) message\(count == 1 ? "" : "s") while offline\(truncated ? " (more in \\h)" : "")") }
        case .reaction(let change):
            say(Transcript.reactionChange(change, who: reactorName(change.userId), about: reactionTarget(change)))
        case .error(let code, let message):
            say("relay: \(TerminalText.escaped(message)) (\(TerminalText.escaped(code)))")
        case .other:
            break
        }
    }

    /// Who made a reaction change, as the console names people: `you`, the open conversation's user, or an id prefix.
    private func reactorName(_ id: String?) -> String {
        guard let id else { return "someone" }
        if id == admin.id.lowercasedString { return "you" }
        if let open, open.user.id.lowercasedString == id { return open.user.username }
        return String(id.prefix(8))
    }

    /// The message a reaction change is about: its text when this console sent it, else its id prefix; marked when its
    /// conversation is not the open one.
    private func reactionTarget(_ change: ReactionChangedRepresentation) -> String {
        let text = UUID(uuidString: change.messageId).flatMap { sent[$0] }.map { "\"\(TerminalText.escaped(String($0.prefix(40))))\"" }
        let inOpen = open?.conversation.id.lowercasedString == change.conversationId
        return (text ?? TerminalText.escaped(String(change.messageId.prefix(8)))) + (inOpen ? "" : " [not open]")
    }

    // MARK: - Typing

    /// Announces typing while a reply is being written in the open conversation (at most every 3 s).
    private func updateTyping() {
        guard let open, composing == nil else { return }
        let line = editor.currentLine
        if line.isEmpty || line.hasPrefix("\\") {
            stopTyping()
        } else if typingSince.map({ Date().timeIntervalSince($0) >= 3 }) ?? true {
            typingSince = Date()
            let conversationId = open.conversation.id
            Task { [service, admin] in try? await service.typing(viewer: admin, conversationId: conversationId, isTyping: true) }
        }
    }

    private func stopTyping() {
        guard typingSince != nil, let open else { return }
        typingSince = nil
        let conversationId = open.conversation.id
        Task { [service, admin] in try? await service.typing(viewer: admin, conversationId: conversationId, isTyping: false) }
    }

    // MARK: - Signals, prompt, completion

    private func handleSignals() {
        for signal in signals.take() {
            switch signal {
            case SIGINT:
                if composing != nil {
                    composing = nil
                    updatePrompt()
                }
                stopTyping()
                editor.clearLine()
            case SIGWINCH:
                editor.resize()
            default:
                quit = true
            }
        }
    }

    private func updatePrompt() {
        let name = open.map { "[\(TerminalText.escaped($0.user.username))]" } ?? ""
        let state = live == nil ? " (db only)" : connected ? "" : " (offline)"
        editor.setPrompt(composing != nil ? "msg\(name) ... " : "msg\(name)\(state)> ")
    }

    private func completions(line: String, word: String) -> [String] {
        ReplCommandTable.completions(line: line, usernames: usernames, conversationIds: conversationIds)
    }

    private func refreshNames(_ listings: [ConversationListing]? = nil) {
        let found =
            listings ?? (try? blocking { [service, admin] in try await service.listConversations(viewer: admin, page: 1, limit: 100).listings }) ?? []
        for item in found {
            remember(username: item.user.username)
            if !conversationIds.contains(item.conversation.id.lowercasedString) { conversationIds.append(item.conversation.id.lowercasedString) }
        }
    }

    /// Offers `name` for completion, unless it holds characters a terminal would act on (libedit lists matches as
    /// they are): such a user's conversation is still opened by its id.
    private func remember(username name: String) {
        if !usernames.contains(name), TerminalText.escaped(name) == name { usernames.append(name) }
    }

    // MARK: - Output helpers

    private func say(_ text: String) {
        editor.printAbove(text)
    }

    static func line(time: Timestamp?, who: String, content: String, attachments: [MessageAttachment] = []) -> String {
        Transcript.line(time: time, who: who, content: content)
            + (attachments.isEmpty ? "" : "\n" + Transcript.attachments(attachments))
    }

    /// `1 message`, `2 messages`.
    static func count(_ value: Int, _ noun: String) -> String { "\(value) \(noun)\(value == 1 ? "" : "s")" }

    static func time(_ timestamp: Timestamp?) -> String {
        Transcript.shortTime(timestamp)
    }

    /// What went wrong, for the console: names in it (from users, or as typed) through ``TerminalText``.
    static func describe(_ error: any Error) -> String {
        let text =
            switch error {
            case let error as ServiceError: error.message
            case let error as DatabaseError: error.kind == .unavailable ? "the database is not reachable" : error.message
            default: "\(error)"
            }
        return TerminalText.escaped(text)
    }
}

/// Runs async service work from the REPL's own thread (never one of Swift's task threads), waiting for it.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let semaphore = DispatchSemaphore(value: 0)
    let result = ResultBox<T>()
    Task {
        do { result.value = .success(try await body()) } catch { result.value = .failure(error) }
        semaphore.signal()
    }
    semaphore.wait()
    return try result.value!.get()
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: Result<T, any Error>?
}
