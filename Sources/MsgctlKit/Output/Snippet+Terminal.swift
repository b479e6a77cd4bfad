import MsgLib

extension Snippet {
    /// The snippet for a terminal: control characters (escape sequences typed into a message) blanked, matches in
    /// bold on a colour terminal, otherwise between `marker`s.
    func terminalText(color: Bool, marker: String = "*") -> String {
        var out = ""
        for segment in segments {
            let text = Terminal.sanitized(segment.text)
            guard segment.highlighted else {
                out += text
                continue
            }
            out += color ? Terminal.bold(text) : marker + text + marker
        }
        return out
    }
}
