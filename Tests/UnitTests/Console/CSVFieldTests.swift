import Testing

@testable import MsgctlKit

/// CSV fields: RFC 4180 quoting and the spreadsheet formula guard, the same for `--csv` tables and exports.
@Suite struct CSVFieldTests {
    /// Both ways of writing a field: the table's (String) and the export's (bytes).
    func encodings(_ text: String, formulaEscape: Bool) -> (table: String, export: String) {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        bytes.withUnsafeBufferPointer { ExportText.appendCSVField($0, 0..<bytes.count, formulaEscape: formulaEscape, to: &out) }
        return (CSVField.encode(text, formulaEscape: formulaEscape), String(decoding: out, as: UTF8.self))
    }

    @Test(arguments: [
        ("=HYPERLINK(\"http://evil.example\",\"click\")", "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\""),
        ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=cmd", "'\t=cmd"), ("\r=cmd", "\"'\r=cmd\""), ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("plain", "plain"), ("a=b", "a=b"), ("'quoted", "'quoted"), ("", ""), ("1,5", "\"1,5\""), (" =x", " =x"),
    ])
    func formulasGetALeadingQuote(_ text: String, _ expected: String) {
        let (table, export) = encodings(text, formulaEscape: true)
        #expect(table == expected)
        #expect(export == expected)
    }

    @Test func withoutTheGuardFieldsAreExact() {
        for text in ["=1+1", "-2", "@x", "\t=x"] {
            let (table, export) = encodings(text, formulaEscape: false)
            #expect(table == text && export == text)
        }
        #expect(encodings("=a,b", formulaEscape: false).table == "\"=a,b\"")
    }

    @Test func tablesGuardEveryFieldUnlessTurnedOff() {
        var table = TextTable("USER", "NOTE")
        table.append([TableCell("-eve"), TableCell("=2*3")])
        #expect(table.csv() == "USER,NOTE\r\n'-eve,'=2*3\r\n")
        #expect(table.csv(formulaEscape: false) == "USER,NOTE\r\n-eve,=2*3\r\n")
    }
}
