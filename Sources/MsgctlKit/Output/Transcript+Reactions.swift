import Foundation
import MsgLib

extension Transcript {
    /// A message's reactions on one line, indented: `  [reactions] 👍 2  ❤️ 1`; empty when it has none.
    static func reactions(_ reactions: [ReactionRepresentation], indent: String = "  ") -> String {
        guard !reactions.isEmpty else { return "" }
        return "\(indent)[reactions] " + reactions.map { "\(TerminalText.escaped($0.emoji)) \($0.count)" }.joined(separator: "  ")
    }

    /// The console's line for a live change: `alice added 👍 to 0190a1b2: 👍 2  ❤️ 1`.
    static func reactionChange(_ change: ReactionChangedRepresentation, who: String, about: String) -> String {
        let verb = change.added ? "added" : "removed"
        let now =
            change.reactions.isEmpty
            ? "no reactions" : change.reactions.map { "\(TerminalText.escaped($0.emoji)) \($0.count)" }.joined(separator: "  ")
        return "\(TerminalText.escaped(who)) \(verb) \(TerminalText.escaped(change.emoji)) \(change.added ? "to" : "on") \(about): \(now)"
    }
}
