extension Snippet {
    /// The marker `ts_headline` puts before a match (its `StartSel`); removed from the content beforehand.
    static let startMarker: Unicode.Scalar = "\u{01}"
    /// The marker `ts_headline` puts after a match (its `StopSel`); removed from the content beforehand.
    static let stopMarker: Unicode.Scalar = "\u{02}"

    /// Parses the search statement's `ts_headline` output: matches between ``startMarker`` and ``stopMarker``, and
    /// `<`, `>`, `&` stood in for by U+E000...U+E002 (`ts_headline` drops anything that looks like an HTML tag).
    ///
    /// The statement removes the markers and U+E000...U+E002 from the content first, so none of them can come from
    /// a message.
    init(headline raw: String) {
        var segments: [Segment] = []
        var current = ""
        var highlighted = false
        func close(_ isHighlighted: Bool) {
            if !current.isEmpty || isHighlighted { segments.append(Segment(current, highlighted: isHighlighted)) }
            current = ""
        }
        for scalar in raw.unicodeScalars {
            switch scalar {
            case Self.startMarker:
                close(highlighted)
                highlighted = true
            case Self.stopMarker:
                close(highlighted)
                highlighted = false
            case "\u{E000}": current += "<"
            case "\u{E001}": current += ">"
            case "\u{E002}": current += "&"
            default: current.unicodeScalars.append(scalar)
            }
        }
        if !current.isEmpty { close(highlighted) }
        self.init(segments)
    }
}
