"""The calendar's Markdown, rendered through a safe-list: what an animator writes can
format a prompt, never run in a reader's mail client or browser.

The calendar import renders each prompt once and the theme keeps it (`Theme.prompt_html`):
the answer page and the sender show it without loading the Markdown parser (55 ms of a
cold start), through the same safe-list again."""

from functools import cache, lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from markupsafe import Markup

from palabre.core.typography import LocalizedMarkup

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore

    from palabre.core.models import Theme

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
def _parser() -> "MarkdownIt":
    from markdown_it import MarkdownIt

    # CommonMark without raw HTML: tags typed in the calendar are shown, not obeyed.
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("strikethrough")
    parser.core.ruler.push("real_targets", _real_targets)
    return parser


def target_shown(href: str) -> str:
    """What a reader must see of where a link goes: its host (IDNA-encoded by the
    parser, so a look-alike letter shows as xn--...), or a mailto's address."""
    parts = urlsplit(href)
    if parts.scheme == "mailto":
        return parts.path
    return parts.hostname or href


def _names_its_target(label: str, href: str) -> bool:
    bare = label.strip().rstrip("/")
    return bare in (href.rstrip("/"), href.split("://", 1)[-1].rstrip("/"))


def _real_targets(state: "StateCore") -> None:
    """A link whose text is not its own address shows where it really goes after its
    text: [https://bank.example](https://evil.example) reads "https://bank.example
    (evil.example)", in the email and on the page alike."""
    from markdown_it.token import Token

    for block in state.tokens:
        children, opened = block.children or [], None
        for n, token in reversed(list(enumerate(children))):
            if token.type == "link_close":
                opened = n
            elif token.type == "link_open" and opened is not None:
                href = str(token.attrGet("href") or "")
                label = "".join(t.content for t in children[n + 1 : opened])
                if not _names_its_target(label, href):
                    shown = Token("text", "", 0, content=f" ({target_shown(href)})")
                    children.insert(opened + 1, shown)
                opened = None


@lru_cache(maxsize=64)  # one theme's prompt goes to every member: sanitised once
def to_html(text: str) -> Markup:
    html = _parser().render(text)
    # Every heading becomes an h3: a prompt's title is the theme's own, and h4-h6 are not
    # on the safe-list (stripped, their text would be left outside any block).
    for level in ("1", "2", "4", "5", "6"):
        html = html.replace(f"<h{level}>", "<h3>").replace(f"</h{level}>", "</h3>")
    return _safe(html)


@lru_cache(maxsize=64)
def _safe(html: str) -> Markup:
    import nh3

    cleaned = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel="noopener noreferrer",
    )
    return Markup(cleaned)


def prompt_html(theme: "Theme", locale: str | None = None) -> Markup:
    """A theme's prompt as HTML: as the import rendered it, held to the safe-list again
    (whatever wrote the item), or rendered now for a theme stored without it; with a
    `locale`, the prompt a reader in it gets (Theme.prompt_for), its language marked."""
    if locale is None:
        return shown(theme.prompt, theme.prompt_html)
    prompt, rendered = theme.prompt_for(locale), theme.prompt_html_for(locale)
    return LocalizedMarkup(shown(prompt, rendered), prompt.lang)


def shown(prompt: str, rendered: str) -> Markup:
    """A prompt's HTML as rendered at import (held to the safe-list again), else now."""
    return _safe(rendered) if rendered else to_html(prompt)


def to_text(text: str) -> str:
    """The plain-text part keeps the Markdown as written: it reads well as it is."""
    return text.strip()
