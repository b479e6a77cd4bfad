import Foundation

/// A program run on a pseudo-terminal (through script(1)), typed at like a person would, its screen output
/// collected. For the REPL tests.
package final class TerminalSession: Sendable {
    private let child: ChildProcess

    /// Runs `shellCommand` (bash syntax) on a new pseudo-terminal with `environment` added to ours.
    package init(_ shellCommand: String, environment: [String: String?]) throws {
        var env = environment
        env["TERM"] = env["TERM"] ?? "xterm"
        // script(1) runs $SHELL. bash, like an interactive shell, lets a foreground program that handles Ctrl-C
        // keep running and goes on after it; dash would die of the SIGINT meant for the program.
        env["SHELL"] = "/bin/bash"
        child = try ChildProcess("/usr/bin/script", ["-qfec", shellCommand, "/dev/null"], environment: env, mergeOutput: true, keepInputOpen: true)
    }

    /// Types `keys` (use "\r" for Enter, "\t" for Tab, "\u{03}" for Ctrl-C, "\u{04}" for Ctrl-D).
    package func type(_ keys: String) {
        child.send(keys)
    }

    /// Everything printed so far, raw.
    package var raw: String { child.stdout }

    /// The screen's text as a terminal would show it: carriage returns, backspaces, cursor moves along the line
    /// and line erasure applied, other escape sequences and bells dropped; lines joined with "\n".
    package var text: String { ScreenText.render(raw) }

    package var isRunning: Bool { child.isRunning }
    package var exitStatus: Int32? { child.exitStatus }

    /// Waits until a screen line from line number `line` on contains `expected`; returns that line's number
    /// (lines above the cursor's line do not change, so the number stays valid).
    @discardableResult
    package func waitFor(_ expected: String, after line: Int = 0, timeout: TimeInterval = 20) async throws -> Int {
        var found: Int?
        try await TestSupport.waitFor(
            "\"\(expected)\" on the terminal; it shows:\n\(text.suffix(1500))\nraw: \(raw.suffix(600).debugDescription)", timeout: timeout
        ) {
            let lines = self.text.split(separator: "\n", omittingEmptySubsequences: false)
            guard line < lines.count, let index = lines[line...].firstIndex(where: { $0.contains(expected) }) else { return false }
            found = index
            return true
        }
        return found!
    }

    /// Ends the session (SIGKILL to script and its child when still running).
    package func stop() {
        child.closeInput()
        child.signal(SIGKILL)
    }
}

/// A minimal terminal: enough of VT100 to read what libedit draws on one line at a time.
package enum ScreenText {
    package static func render(_ raw: String) -> String {
        var lines: [[Character]] = [[]]
        var row = 0
        var column = 0
        var characters = Array(raw)[...]
        func put(_ character: Character) {
            while lines[row].count < column { lines[row].append(" ") }
            if column < lines[row].count { lines[row][column] = character } else { lines[row].append(character) }
            column += 1
        }
        while let character = characters.popFirst() {
            switch character {
            case "\n", "\r\n":
                row += 1
                column = 0
                if row == lines.count { lines.append([]) }
            case "\r": column = 0
            case "\u{08}": column = max(0, column - 1)
            case "\u{07}": continue
            case "\u{1B}":
                guard characters.first == "[" else {
                    _ = characters.popFirst()
                    continue
                }
                characters.removeFirst()
                var parameter = ""
                while let next = characters.first, next.isNumber || next == ";" || next == "?" {
                    parameter.append(next)
                    characters.removeFirst()
                }
                guard let command = characters.popFirst() else { break }
                let n = Int(parameter) ?? 1
                switch command {
                case "G": column = max(0, n - 1)
                case "C": column += n
                case "D": column = max(0, column - n)
                case "K": if column < lines[row].count { lines[row].removeSubrange(column...) }
                case "A": row = max(0, row - n)
                default: break
                }
            default: put(character)
            }
        }
        return lines.map { String($0) }.joined(separator: "\n")
    }
}
