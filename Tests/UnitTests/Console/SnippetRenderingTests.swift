import Testing

@testable import MsgLib
@testable import MsgctlKit

/// Search snippets: parsed from `ts_headline`'s output, then rendered as HTML for REST and as text for a terminal.
@Suite struct SnippetRenderingTests {
    /// A snippet of hostile text: markup, an entity, quotes, a terminal escape sequence and other control characters.
    let hostile = Snippet([
        .init("<script>alert('x')</script> &amp; \"q\" "), .init("invoice", highlighted: true), .init(" \u{1B}[31mred\u{07}\tend"),
    ])

    @Test func htmlEscapesEveryCharacterAndMarksMatches() {
        #expect(
            hostile.html
                == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp;amp; &quot;q&quot; <mark>invoice</mark> \u{1B}[31mred\u{07}\tend")
        #expect(Snippet([.init("<b>", highlighted: true)]).html == "<mark>&lt;b&gt;</mark>")
        #expect(Snippet().html == "")
    }

    @Test func terminalTextShowsControlCharactersVisiblyAndDecodesNothing() {
        #expect(hostile.terminalText(color: false) == "<script>alert('x')</script> &amp; \"q\" *invoice* \\u{1B}[31mred\\u{7}\\u{9}end")
        #expect(hostile.terminalText(color: false, marker: "") == "<script>alert('x')</script> &amp; \"q\" invoice \\u{1B}[31mred\\u{7}\\u{9}end")
        #expect(
            hostile.terminalText(color: true) == "<script>alert('x')</script> &amp; \"q\" \u{1B}[1minvoice\u{1B}[0m \\u{1B}[31mred\\u{7}\\u{9}end")
        // A highlighted segment cannot smuggle an escape sequence or a bidi override either.
        #expect(Snippet([.init("\u{1B}]0;title\u{07}", highlighted: true)]).terminalText(color: true) == "\u{1B}[1m\\u{1B}]0;title\\u{7}\u{1B}[0m")
        #expect(Snippet([.init("\u{202E}gnp.exe", highlighted: true)]).terminalText(color: false) == "*\\u{202E}gnp.exe*")
    }

    @Test func headlineOutputIsParsedIntoSegments() {
        // ts_headline's markers are U+0001/U+0002; < > & arrive as U+E000...U+E002.
        let parsed = Snippet(headline: "My \u{01}invoice\u{02} \u{E000}script\u{E001} \u{E002}amp; ... \u{01}invoice\u{02}")
        #expect(
            parsed.segments == [
                .init("My "), .init("invoice", highlighted: true), .init(" <script> &amp; ... "), .init("invoice", highlighted: true),
            ])
        #expect(parsed.plainText == "My invoice <script> &amp; ... invoice")
        #expect(parsed.html == "My <mark>invoice</mark> &lt;script&gt; &amp;amp; ... <mark>invoice</mark>")
        #expect(Snippet(headline: "") == Snippet())
        #expect(Snippet(headline: "plain").segments == [.init("plain")])
    }
}
