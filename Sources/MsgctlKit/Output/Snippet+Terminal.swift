import MsgLib

extension Snippet {
    /// The snippet for a terminal: control characters and bidi overrides shown as visible escapes
    /// (``TerminalText``), matches in bold on a colour terminal, otherwise between `marker`s.
    func terminalText(color: Bool, marker: String = "*") -> String {
        var out = ""
        for segment in segments {
            let text = TerminalText.escaped(segment.text)
            guard segment.highlighted else {
                out += text
                continue
            }
            out += color ? Terminal.bold(text) : marker + text + marker
        }
        return out
    }
}
