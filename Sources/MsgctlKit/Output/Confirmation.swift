import Foundation

/// Asking on the terminal before something that cannot be undone (`delete`, `purge`), unless `--yes` was given.
enum Confirmation {
    /// Throws the usage error "refusing to `action` without --yes (not a terminal)" unless standard input and standard
    /// error are a terminal, where someone can answer.
    static func requireTerminal(refusing action: String) throws {
        guard FileOutput.standardError.isTerminal, isatty(0) == 1 else {
            throw UserFacingError("refusing to \(action) without --yes (not a terminal)", exitStatus: .usage)
        }
    }

    /// Asks "`question` [y/N] " on standard error; true when the answer is y or yes.
    static func ask(_ question: String) -> Bool {
        FileOutput.standardError.write("\(question) [y/N] ")
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.lowercased())
    }
}
