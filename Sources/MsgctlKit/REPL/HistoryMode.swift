/// What the console keeps in its history file (`\set history`), which outlives the session.
enum HistoryMode: String, CaseIterable, Sendable {
    /// Backslash commands only, the default: replies, which quote conversations, are neither recalled nor written
    /// to the file, and replies an earlier session recorded are dropped when the file is saved.
    case commands
    /// Every line, replies included.
    case all

    /// True when `line`, as typed, belongs in the history.
    func records(_ line: String) -> Bool {
        switch self {
        case .all: true
        case .commands: line.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("\\")
        }
    }
}
