import MsgLib

extension Transcript {
    /// `msgctl show --history`'s lines under a message: each earlier version with when it was written and who replaced
    /// it when, each deletion and restore; indented, every text from users terminal-safe.
    static func history(_ entries: [MessageHistoryEntry], indent: String = "  ") -> String {
        entries.map { entry in
            let by = "by \(actorName(entry))"
            switch entry.action {
            case .edit:
                let text = TerminalText.escaped(entry.previousContent ?? "", multiline: true)
                    .split(separator: "\n", omittingEmptySubsequences: false).map { "\(indent)  | \($0)" }.joined(separator: "\n")
                return "\(indent)[earlier version, written \(HumanTime.format(entry.previousWrittenAt)), replaced "
                    + "\(HumanTime.format(entry.changedAt)) \(by)]\n\(text)"
            case .delete:
                return "\(indent)[deleted \(HumanTime.format(entry.changedAt)) \(by)]"
            case .restore:
                return "\(indent)[restored \(HumanTime.format(entry.changedAt)) \(by)]"
            }
        }.joined(separator: "\n")
    }

    /// Who made a change: the user's username, their id when they are gone, or the database role when the change named
    /// nobody (plain SQL).
    static func actorName(_ entry: MessageHistoryEntry) -> String {
        if let actor = entry.actor { return TerminalText.escaped(actor.username) }
        if let id = entry.actorId { return "user \(id.lowercasedString) (removed)" }
        return "database role \(TerminalText.escaped(entry.databaseRole))"
    }
}

/// `msgctl show --history --json`: the transcript as `show --json` prints it, and `history`, the changes of each
/// message that has some (by message id, oldest first).
struct TranscriptWithHistory: Encodable {
    var transcript: MessageListResponse
    var history: [String: [MessageHistoryEntryRepresentation]]

    enum CodingKeys: String, CodingKey { case history }

    func encode(to encoder: any Encoder) throws {
        try transcript.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(history, forKey: .history)
    }
}
