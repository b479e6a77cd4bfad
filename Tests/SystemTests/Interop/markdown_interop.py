"""markdown-it-py (a CommonMark implementation from PyPI), run by ExportTests to render msgctl's Markdown export.

Usage: markdown_interop.py COMMAND JSON
Prints one JSON object on stdout; exits non-zero with the reason on stderr when it cannot run.

  quotes   {"path"}   -> {"quotes": [TEXT, ...], "tags": [TAG, ...]}
      Renders the file as CommonMark with GitHub's tables and strikethrough, and gives the text of each top-level block
      quote as a reader sees it: a line break (<br>) as a newline, a new paragraph as a blank line, a soft break as a
      space, entities decoded. `tags` lists every HTML tag rendered inside any block quote.

Needs: pip install markdown-it-py
"""

import json
import sys
from html.parser import HTMLParser

from markdown_it import MarkdownIt


class Quotes(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.quotes = []
        self.tags = set()
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "blockquote":
            self.depth += 1
            if self.depth == 1:
                self.quotes.append("")
                return
        if self.depth == 0:
            return
        self.tags.add(tag)
        if tag == "br":
            self.quotes[-1] += "\n"
        elif tag == "p" and self.quotes[-1]:
            self.quotes[-1] += "\n\n"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "blockquote":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            # A newline in the HTML is a soft break (or follows a <br>): a reader sees a space.
            self.quotes[-1] += data.replace("\n", " ")


def main():
    command, arguments = sys.argv[1], json.loads(sys.argv[2])
    if command != "quotes":
        sys.exit("unknown command " + command)
    with open(arguments["path"], encoding="utf-8") as f:
        text = f.read()
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)
    parser = Quotes()
    parser.feed(html)
    parser.close()
    print(json.dumps({"quotes": parser.quotes, "tags": sorted(parser.tags)}))


main()
