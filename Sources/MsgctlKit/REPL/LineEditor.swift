@preconcurrency import CEdit
import Foundation
@preconcurrency import Glibc
import MsgLib

/// libedit's readline-compatible callback interface, with the only libedit pointers of msgctl.
///
/// The terminal is read one character at a time when the REPL's poll loop sees input (``feed()``); other output
/// is printed above the prompt without disturbing the half-typed line (``printAbove(_:)``). Every call must come
/// from the REPL thread: libedit is not thread-safe.
final class LineEditor {
    /// What a call to ``feed()`` produced.
    enum Input: Equatable {
        /// Nothing complete yet.
        case pending
        /// A line was accepted (Enter).
        case line(String)
        /// End of input (Ctrl-D on an empty line).
        case endOfInput
    }

    /// The C callbacks reach the editor through these: libedit's interface has no context pointer.
    nonisolated(unsafe) private static var accepted: Input = .pending
    nonisolated(unsafe) private static var candidates: (_ line: String, _ word: String) -> [String] = { _, _ in [] }
    nonisolated(unsafe) private static var matches: [String] = []

    private let historyFile: String?
    private var prompt: String
    private var savedTerminal = termios()
    private let hasSavedTerminal: Bool
    private var installed = false
    /// Kept alive for libedit, which keeps the pointer.
    private let name = strdup("msgctl")

    /// - Parameters:
    ///   - historyFile: read now (its mode narrowed to 0600 first) and written by ``saveHistory(keeping:)``; its
    ///     folder is created when missing.
    ///   - complete: completion candidates for the word being typed, given the whole line.
    init(prompt: String, historyFile: String?, complete: @escaping (_ line: String, _ word: String) -> [String]) {
        self.prompt = prompt
        self.historyFile = historyFile
        hasSavedTerminal = tcgetattr(STDIN_FILENO, &savedTerminal) == 0
        Self.candidates = complete
        rl_readline_name = UnsafePointer(name)
        rl_initialize()  // reads ~/.editrc (emacs or vi bindings)
        using_history()
        stifle_history(2000)
        if let historyFile {
            Self.restrictToOwner(historyFile)
            _ = read_history(historyFile)
        }
        rl_attempted_completion_function = { text, start, _ in
            LineEditor.complete(text, start: Int(start))
        }
    }

    deinit { free(name) }

    /// Replaces the completion source.
    func setCompletion(_ complete: @escaping (_ line: String, _ word: String) -> [String]) {
        Self.candidates = complete
    }

    /// The terminal changed size.
    func resize() {
        rl_resize_terminal()
    }

    /// Shows the prompt and starts reading.
    func start() {
        install()
    }

    /// Changes the prompt (connection state, open conversation) and redraws the line.
    func setPrompt(_ newPrompt: String) {
        guard newPrompt != prompt else { return }
        prompt = newPrompt
        guard installed else { return }
        rl_set_prompt(prompt)
        write("\r\u{1B}[K")
        rl_forced_update_display()
    }

    /// Reads what the terminal has (call when stdin is readable).
    func feed() -> Input {
        Self.accepted = .pending
        rl_callback_read_char()
        let input = Self.accepted
        Self.accepted = .pending
        if input != .pending {
            // A fresh handler, or libedit keeps showing the accepted text.
            rl_callback_handler_remove()
            installed = false
            if case .line = input { install() }
        }
        return input
    }

    /// The text typed so far on the current line.
    var currentLine: String {
        guard let buffer = rl_line_buffer else { return "" }
        return String(cString: buffer)
    }

    /// Prints `text` (one or more lines) above the prompt, then redraws the prompt and the half-typed line.
    func printAbove(_ text: String) {
        var out = installed ? "\r\u{1B}[K" : ""
        out += text.hasSuffix("\n") ? text : text + "\n"
        write(out)
        if installed { rl_forced_update_display() }
    }

    /// Ctrl-C: abandons the half-typed line and shows a fresh prompt.
    func clearLine() {
        guard installed else { return }
        write("^C\n")
        if rl_end > 0 { rl_delete_text(0, rl_end) }
        rl_point = 0
        rl_callback_handler_remove()
        install()
    }

    /// Adds a line to the history (not blank lines, not a repeat of the last one).
    func addHistory(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        if history_length > 0, let last = history_get(history_base + history_length - 1), let text = last.pointee.line, String(cString: text) == line
        {
            return
        }
        add_history(line)
    }

    /// Writes the history file with the lines `keep` accepts (others leave the history too), replacing it
    /// atomically with a file of mode 0600, whatever the old one's (its folder is created with 0700). A history path
    /// that is a symbolic link or not a regular file (a link to /dev/null keeps no history) is left as it is.
    func saveHistory(keeping keep: (String) -> Bool) {
        guard let historyFile else { return }
        var info = stat()
        if lstat(historyFile, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG { return }
        let lines = (0..<Int(history_length)).compactMap { offset in
            history_get(history_base + Int32(offset))?.pointee.line.map { String(cString: $0) }
        }
        let kept = lines.filter(keep)
        if kept.count != lines.count {
            clear_history()
            for line in kept { add_history(line) }
        }
        let folder = (historyFile as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        do {
            let file = try AtomicFile(path: historyFile)
            defer { file.abandon() }
            guard write_history(file.temporaryPath) == 0, chmod(file.temporaryPath, 0o600) == 0 else { return }
            try file.publish()
        } catch {
            return  // no history is better than no clean exit
        }
    }

    /// Takes the group's and others' permissions off `path` when it is a regular file that has any (a history file
    /// written before); a link (to /dev/null, say) is left alone.
    private static func restrictToOwner(_ path: String) {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_mode & 0o077 != 0 else { return }
        _ = chmod(path, status.st_mode & 0o700)
    }

    /// Stops reading and gives the terminal back as it was.
    func finish() {
        if installed {
            rl_callback_handler_remove()
            installed = false
        }
        restoreTerminal()
    }

    /// Puts the terminal settings back (also safe from a signal path).
    func restoreTerminal() {
        if hasSavedTerminal { tcsetattr(STDIN_FILENO, TCSANOW, &savedTerminal) }
    }

    private func install() {
        rl_callback_handler_install(prompt) { line in
            if let line {
                LineEditor.accepted = .line(String(cString: line))
                free(line)
            } else {
                LineEditor.accepted = .endOfInput
            }
        }
        installed = true
    }

    private func write(_ text: String) {
        FileOutput.standardOutput.write(text)
    }

    private static func complete(_ text: UnsafePointer<CChar>?, start: Int) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        rl_attempted_completion_over = 1  // never fall back to file names
        let word = text.map { String(cString: $0) } ?? ""
        let line = rl_line_buffer.map { String(cString: $0) } ?? ""
        let prefix = String(line.utf8.prefix(start)) ?? ""
        matches = candidates(prefix, word).filter { $0.hasPrefix(word) }
        guard !matches.isEmpty else { return nil }
        return rl_completion_matches(text) { _, state in
            if state == 0 { LineEditor.matchIndex = 0 }
            guard LineEditor.matchIndex < LineEditor.matches.count else { return nil }
            defer { LineEditor.matchIndex += 1 }
            return strdup(LineEditor.matches[LineEditor.matchIndex])
        }
    }

    nonisolated(unsafe) private static var matchIndex = 0
}
