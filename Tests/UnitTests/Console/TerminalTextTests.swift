import Testing

@testable import MsgLib
@testable import MsgctlKit

/// The one sanitiser of text from users on a terminal, and the places that must go through it.
@Suite struct TerminalTextTests {
    @Test func escapeSequencesCarriageReturnsAndBellsBecomeVisible() {
        #expect(TerminalText.escaped("\u{1B}[31mred\u{1B}[0m") == "\\u{1B}[31mred\\u{1B}[0m")
        #expect(TerminalText.escaped("\u{1B}]52;c;cm0gLXJmIH4=\u{07}") == "\\u{1B}]52;c;cm0gLXJmIH4=\\u{7}")
        #expect(TerminalText.escaped("paid\rUNPAID") == "paid\\u{D}UNPAID")
        #expect(TerminalText.escaped("nul\u{0}del\u{7F}c1\u{9B}31m\u{85}") == "nul\\u{0}del\\u{7F}c1\\u{9B}31m\\u{85}")
        #expect(TerminalText.escaped("back\u{8}space") == "back\\u{8}space")
    }

    @Test func bidiControlsAndSeparatorsBecomeVisible() {
        // "invoice_\u{202E}fdp.exe" would show as "invoice_exe.pdf".
        #expect(TerminalText.escaped("invoice_\u{202E}fdp.exe") == "invoice_\\u{202E}fdp.exe")
        for scalar: UInt32 in [0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029] {
            let text = "a" + String(Unicode.Scalar(scalar)!) + "b"
            #expect(TerminalText.escaped(text) == "a\\u{\(String(scalar, radix: 16, uppercase: true))}b")
        }
    }

    @Test func ordinaryTextIsKept() {
        for text in [
            "", "plain", "Grüße, Zoë", "مرحبا", "שלום", "日本語", "👩‍👩‍👧 e\u{301}", "tab-free \\u{1B} typed as text",
            "x".padding(toLength: 500, withPad: "y", startingAt: 0),
        ] {
            #expect(TerminalText.escaped(text) == text, "\(text)")
        }
    }

    @Test func linesAndTabsStayOnlyInMultilineText() {
        #expect(TerminalText.escaped("one\ntwo\tthree") == "one\\u{A}two\\u{9}three")
        #expect(TerminalText.escaped("one\ntwo\tthree", multiline: true) == "one\ntwo\tthree")
        // A CRLF is a line break; a lone CR is not.
        #expect(TerminalText.escaped("one\r\ntwo\rthree", multiline: true) == "one\ntwo\\u{D}three")
        #expect(TerminalText.escaped("one\r\ntwo") == "one\\u{D}\\u{A}two")
        #expect(TerminalText.escaped("\u{1B}[2J\n\u{1B}[H", multiline: true) == "\\u{1B}[2J\n\\u{1B}[H")
    }

    @Test func transcriptsAndTablesShowNamesAndTextThroughIt() {
        let heading = Transcript.heading(displayName: "Eve\u{1B}]0;pwned\u{7}", username: "eve\u{202E}", total: 1)
        #expect(heading == "conversation with Eve\\u{1B}]0;pwned\\u{7} (eve\\u{202E}), 1 messages")
        let entry = Transcript.entry(time: nil, who: "eve\r", edited: false, content: "hi\nthere\r\u{1B}[1A")
        #expect(entry == "[-] eve\\u{D}:\n    hi\n    there\\u{D}\\u{1B}[1A")
        let line = Transcript.line(time: nil, who: "eve", content: "a\n\u{1B}[2Kb")
        #expect(line == "- eve: a\n    \\u{1B}[2Kb")

        var table = TextTable("USER", "NOTE")
        table.append([TableCell("e\u{1B}[8m"), TableCell("x\ny")])
        table.append([TableCell("bob"), TableCell("ok")])
        let rendered = table.render(color: false)
        #expect(!rendered.unicodeScalars.contains { $0 == "\u{1B}" })
        #expect(rendered == "USER        NOTE\ne\\u{1B}[8m  x\\u{A}y\nbob         ok\n")
        // CSV keeps the data exactly (apart from the formula guard).
        #expect(table.csv() == "USER,NOTE\r\ne\u{1B}[8m,\"x\ny\"\r\nbob,ok\r\n")
    }

    @Test func anErrorLineEscapesWhatItQuotes() {
        // The error line of both programs (exitWithError) goes through the same function.
        #expect(TerminalText.escaped("no conversation or user \"\u{1B}]52;c;eA==\u{7}\"") == "no conversation or user \"\\u{1B}]52;c;eA==\\u{7}\"")
    }
}
