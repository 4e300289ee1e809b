"""Rich text typed by people (session content, homework, messages), sanitised with nh3
before it is stored: only the formatting a text editor produces is kept, links are
made safe, and nothing executable survives."""

import html as html_module

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
    """The text of sanitised HTML without any tag (notifications, previews, search)."""
    return html_module.unescape(nh3.clean(text, tags=set())).strip()
