"""Rich text typed by people (session content, homework, messages), sanitised with nh3
before it is stored: only the formatting a text editor produces is kept, links are
made safe, and nothing executable survives."""

import html as html_module
import re

import nh3

TAGS = frozenset(
    {
        "a", "b", "blockquote", "br", "code", "em", "h3", "h4", "i", "li", "ol", "p",
        "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr",
        "u", "ul",
    }
)  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Where one block of text ends: a line break in the plain text.
BLOCK_END = re.compile(
    r"<br\s*/?>|</(?:p|div|li|h[1-6]|tr|blockquote|pre|table)\s*>", re.IGNORECASE
)


def clean_html(text: str) -> str:
    """The sanitised HTML of `text`; links open safely in a new tab."""
    return nh3.clean(
        text,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(text: str) -> str:
    """The text of HTML without any tag (notifications, previews, search): one line per
    paragraph, list item or line break, so that words of two blocks never merge."""
    lines = html_module.unescape(nh3.clean(BLOCK_END.sub("\n", text), tags=set())).splitlines()
    return "\n".join(line.strip() for line in lines if line.strip())
