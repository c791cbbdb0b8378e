"""The calendar's Markdown, rendered through a safe-list: what an animator writes can
format a prompt, never run in a reader's mail client or browser."""

from functools import cache, lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "s",
    "del",
    "ul",
    "ol",
    "li",
    "a",
    "code",
    "pre",
    "blockquote",
    "h3",
}
ATTRIBUTES = {"a": {"href", "title"}}
SCHEMES = {"https", "http", "mailto"}


@cache
def _parser() -> MarkdownIt:
    # CommonMark without raw HTML: tags typed in the calendar are shown, not obeyed.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("strikethrough")


@lru_cache(maxsize=64)  # one theme's prompt goes to every member: sanitised once
def to_html(text: str) -> Markup:
    html = _parser().render(text)
    # Every heading becomes an h3: a prompt's title is the theme's own, and h4-h6 are not
    # on the safe-list (stripped, their text would be left outside any block).
    for level in ("1", "2", "4", "5", "6"):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    cleaned = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel="noopener noreferrer",
    )
    return Markup(cleaned)


def to_text(text: str) -> str:
    """The plain-text part keeps the Markdown as written: it reads well as it is."""
    return text.strip()
