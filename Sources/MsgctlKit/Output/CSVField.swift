/// The rules of one CSV field, shared by `--csv` tables and `msgctl export --format csv`.
///
/// RFC 4180 quoting: a field that holds a comma, quote, CR or LF is quoted, its quotes doubled. Formula guard: a
/// field that starts with `=`, `+`, `-`, `@`, a tab or a CR gets a leading `'`, so that a spreadsheet opening the
/// file shows the text instead of running it as a formula (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3`); the machine
/// consumers' `--no-formula-escape` turns the guard off.
enum CSVField {
    /// True when a field starting with `byte` would be read as a formula by a spreadsheet.
    @inline(__always) static func startsFormula(_ byte: UInt8) -> Bool {
        byte == 0x3D || byte == 0x2B || byte == 0x2D || byte == 0x40 || byte == 0x09 || byte == 0x0D
    }

    /// True when a field holding `byte` must be quoted.
    @inline(__always) static func needsQuotes(_ byte: UInt8) -> Bool {
        byte == 0x2C || byte == 0x22 || byte == 0x0A || byte == 0x0D
    }

    /// `text` as a field: guarded (with `formulaEscape`), then quoted when it needs it.
    static func encode(_ text: String, formulaEscape: Bool) -> String {
        let guarded = formulaEscape && text.utf8.first.map(startsFormula) == true ? "'" + text : text
        guard guarded.utf8.contains(where: needsQuotes) else { return guarded }
        return "\"" + guarded.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
