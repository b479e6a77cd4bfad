import Foundation
import MsgLib

/// Whether and how to use colour: only on a terminal, never with `NO_COLOR` set (https://no-color.org) or
/// `TERM=dumb`.
enum Terminal {
    static let standardOutputHasColor = hasColor(FileOutput.standardOutput, environment: ProcessInfo.processInfo.environment)

    static func hasColor(_ output: FileOutput, environment: [String: String]) -> Bool {
        guard output.isTerminal else { return false }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }

    static func bold(_ text: String) -> String { "\u{1B}[1m" + text + "\u{1B}[0m" }
}
