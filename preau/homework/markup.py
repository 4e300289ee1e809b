"""What a teacher types in the cahier de textes, and the sanitised HTML it is kept as.

Teachers type plain text with a few conventions (no HTML to learn, nothing to
install): a blank line starts a new paragraph, lines starting with "- " make a
bulleted list and "1. " a numbered one, **gras** and *italique*, and web addresses
become links. Anything else is text: typed tags are shown, never interpreted. The
result goes through `core.richtext.clean_html` all the same.

`html_to_text` gives the typed form back from the stored HTML, for editing. Pure: no
ORM, no request; tested with tables of cases and hypothesis.
"""

import html
import re
from html.parser import HTMLParser

from preau.core.richtext import clean_html

URL = re.compile(r"https?://[^\s<>\"]+")
TRAILING = ".,;:!?)»"
BOLD = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")
ITALIC = re.compile(r"(?<![*\w])\*(?!\s)([^*]*?[^\s*])\*(?![*\w])")
BULLET = re.compile(r"^\s*[-*•]\s+(.*)$")
NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")


def _emphasis(escaped: str) -> str:
    escaped = BOLD.sub(r"<strong>\1</strong>", escaped)
    return ITALIC.sub(r"<em>\1</em>", escaped)


def _inline(text: str) -> str:
    """One line: escaped, with its links and emphasis."""
    out = []
    position = 0
    for match in URL.finditer(text):
        url = match.group(0)
        trimmed = url.rstrip(TRAILING)
        # A closing parenthesis belongs to the address when it opened one.
        while trimmed.count("(") > trimmed.count(")") and len(trimmed) < len(url):
            trimmed = url[: len(trimmed) + 1]
        out.append(_emphasis(html.escape(text[position : match.start()], quote=False)))
        out.append(f'<a href="{html.escape(trimmed)}">{html.escape(trimmed, quote=False)}</a>')
        position = match.start() + len(trimmed)
    out.append(_emphasis(html.escape(text[position:], quote=False)))
    return "".join(out)


def _block(lines: list[str]) -> str:
    if all(BULLET.match(line) for line in lines):
        items = "".join(f"<li>{_inline(BULLET.match(line).group(1))}</li>" for line in lines)
        return f"<ul>{items}</ul>"
    if all(NUMBERED.match(line) for line in lines):
        items = "".join(f"<li>{_inline(NUMBERED.match(line).group(1))}</li>" for line in lines)
        return f"<ol>{items}</ol>"
    return "<p>" + "<br>".join(_inline(line.strip()) for line in lines) + "</p>"


def text_to_html(text: str) -> str:
    """The sanitised HTML of what the teacher typed ("" for blank text)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return clean_html("".join(_block(lines) for lines in blocks))


class _Text(HTMLParser):
    BLOCKS = frozenset({"p", "h3", "h4", "blockquote", "pre", "table", "tr", "ul", "ol"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.line: list[str] = []
        self.lists: list[list] = []  # [kind, counter]
        self.href: str | None = None
        self.link_text: list[str] = []

    def _flush(self) -> None:
        text = "".join(self.line).strip()
        if text:
            self.blocks.append(text)
        self.line = []

    def handle_starttag(self, tag, attrs):
        if self.href is not None:
            return
        if tag in ("ul", "ol"):
            self._flush()
            self.lists.append([tag, 0])
        elif tag == "li":
            self._flush()
            if self.lists:
                self.lists[-1][1] += 1
                kind, number = self.lists[-1]
                self.line.append("- " if kind == "ul" else f"{number}. ")
            else:
                self.line.append("- ")
        elif tag in self.BLOCKS:
            self._flush()
        elif tag == "br":
            self.line.append("\n")
        elif tag in ("strong", "b"):
            self.line.append("**")
        elif tag in ("em", "i"):
            self.line.append("*")
        elif tag == "a":
            self.href = dict(attrs).get("href") or ""
            self.link_text = []
        elif tag in ("td", "th") and self.line:
            self.line.append(" | ")

    def handle_endtag(self, tag):
        if tag == "a" and self.href is not None:
            text = "".join(self.link_text).strip()
            if not self.href or text == self.href:
                self.line.append(text or self.href)
            else:
                self.line.append(f"{text} ({self.href})" if text else self.href)
            self.href = None
            return
        if self.href is not None:
            return
        if tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            self._end_list_block()
        elif tag == "li":
            self._flush()
        elif tag in self.BLOCKS or tag == "tr":
            self._flush()
            self.blocks.append("")
        elif tag in ("strong", "b"):
            self.line.append("**")
        elif tag in ("em", "i"):
            self.line.append("*")

    def _end_list_block(self) -> None:
        if not self.lists:
            self.blocks.append("")

    def handle_data(self, data):
        if self.href is not None:
            self.link_text.append(data)
        else:
            self.line.append(data)

    def result(self) -> str:
        self._flush()
        paragraphs: list[list[str]] = [[]]
        for block in self.blocks:
            if block == "":
                if paragraphs[-1]:
                    paragraphs.append([])
            else:
                paragraphs[-1].append(block)
        return "\n\n".join("\n".join(lines) for lines in paragraphs if lines)


def html_to_text(stored: str) -> str:
    """The typed form of stored HTML (for editing it again)."""
    parser = _Text()
    parser.feed(stored or "")
    parser.close()
    return parser.result()
