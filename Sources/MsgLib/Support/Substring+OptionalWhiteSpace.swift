extension StringProtocol {
    /// Without HTTP's optional white space (spaces and tabs, RFC 9110) at either end; on Swift strings, without going
    /// through Foundation: header values are trimmed on every request.
    package var trimmingOptionalWhiteSpace: SubSequence {
        let isSpace = { (c: Character) in c == " " || c == "\t" }
        var text = self[...].drop(while: isSpace)
        while let last = text.last, isSpace(last) { text = text.dropLast() }
        return text
    }
}
