import MsgLib

/// One value of a table: how a person reads it and how a program reads it.
struct TableCell: ExpressibleByStringLiteral {
    /// Shown in the aligned table (local times, "-" for nothing).
    var human: String
    /// Written to CSV (RFC 3339 UTC times, empty for nothing).
    var machine: String
    /// Drawn in bold on a colour terminal.
    var emphasised = false

    init(_ text: String) {
        human = text
        machine = text
    }

    init(stringLiteral text: String) { self.init(text) }

    init(human: String, machine: String, emphasised: Bool = false) {
        self.human = human
        self.machine = machine
        self.emphasised = emphasised
    }

    /// A time: local and to the minute for people, RFC 3339 UTC for programs.
    static func time(_ timestamp: Timestamp?) -> TableCell {
        TableCell(human: HumanTime.format(timestamp), machine: timestamp?.rfc3339 ?? "")
    }

    /// A count, in bold when it is not zero and `emphasiseNonZero`.
    static func count(_ value: Int, emphasiseNonZero: Bool = false) -> TableCell {
        TableCell(human: String(value), machine: String(value), emphasised: emphasiseNonZero && value != 0)
    }
}

/// A table of rows under a header, printed aligned for people (bold header and emphasis only on a colour
/// terminal, see ``Terminal``) or as CSV (RFC 4180) for programs.
struct TextTable {
    var headers: [String]
    var rows: [[TableCell]] = []

    init(_ headers: String...) {
        self.headers = headers
    }

    mutating func append(_ row: [TableCell]) {
        rows.append(row)
    }

    /// The aligned table, each line ending in a newline; the last column is not padded. Cells are shown through
    /// ``TerminalText`` (one line each: what users wrote cannot drive the terminal or break the layout).
    func render(color: Bool = Terminal.standardOutputHasColor) -> String {
        let shown = rows.map { $0.map { (text: TerminalText.escaped($0.human), bold: $0.emphasised) } }
        var widths = headers.map(\.count)
        for row in shown {
            for (i, cell) in row.enumerated() where i < widths.count {
                widths[i] = max(widths[i], cell.text.count)
            }
        }
        func line(_ cells: [(text: String, bold: Bool)]) -> String {
            var out = ""
            for (i, cell) in cells.enumerated() {
                let text = cell.bold && color ? Terminal.bold(cell.text) : cell.text
                out += i == cells.count - 1 ? text : text + String(repeating: " ", count: widths[i] - cell.text.count + 2)
            }
            return out + "\n"
        }
        return line(headers.map { ($0, true) }) + shown.map(line).joined()
    }

    /// RFC 4180 CSV: a header row, then the machine form of every cell; fields quoted when they need it, and
    /// guarded against spreadsheet formulas (``CSVField``) unless `formulaEscape` is false.
    func csv(formulaEscape: Bool = true) -> String {
        ([headers] + rows.map { $0.map(\.machine) }).map {
            $0.map { CSVField.encode($0, formulaEscape: formulaEscape) }.joined(separator: ",") + "\r\n"
        }
        .joined()
    }
}
