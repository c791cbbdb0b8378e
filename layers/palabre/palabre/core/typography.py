"""French typography, in one place: every French email, page and subject goes through
`finish` once rendered (mail/render.py), whatever wrote the text — the catalogue, a
template's own punctuation, an admin's title or a member's answer.

French puts a narrow no-break space (U+202F) before ; ? ! and a no-break space (U+00A0)
before : and inside « ». Never inside what is not prose: URLs, e-mail addresses, times
(09:00), HTML tags and entities, style sheets, and what a form gives back as typed (a
<textarea>, <pre>, <code>). Text in another language (an English title shown to a French
reader) is marked by the renderer between FOREIGN and END and left as it is.
"""

import re

from markupsafe import Markup

NARROW = "\u202f"
NO_BREAK = "\u00a0"
FOREIGN = "\x0e"
"""starts text in another language than the page's (ASCII shift-out: never in output)"""
END = "\x0f"

_SPACES = " \u00a0\u202f"
_MARKS = re.compile(r"[;:?!«»]")
# What may follow a punctuation mark for it to be prose: "a;b" in a list of circles,
# "?x=1" or "mailto:" in a link, "09:00" stay as they are.
_AFTER = frozenset(" \t\r\n\u00a0\u202f<\"'»)].,;:?!" + "\x0e\x0f")
_BEFORE_NARROW = {";": NARROW, "?": NARROW, "!": NARROW, ":": NO_BREAK, "»": NO_BREAK}
# Never prose, whatever marks they hold: text in another language, and in HTML comments
# and the elements whose text is code or given back as typed.
_FOREIGN = r"\x0e[^\x0f]*\x0f?"
_KEPT_TEXT = re.compile(_FOREIGN)
_KEPT_HTML = re.compile(
    _FOREIGN
    + r"|<!--.*?-->|<(?P<raw>style|script|textarea|pre|code)\b.*?</(?P=raw)\s*>"
    # every other tag: its attributes (an inlined style="a: b; c: d") are not prose, and
    # skipping them here costs one pass, where looking back from each mark cost one each
    + r"|<[^<>]*>",
    re.DOTALL | re.IGNORECASE,
)
_ANY = re.compile(r"[;:?!«»\x0e]")
_LINK = re.compile(r"://|@|www\.|mailto:")
_ENTITY = re.compile(r"&#?\w{1,8}$")


def french(text: str, *, html: bool = False) -> str:
    """`text` with French spacing around its punctuation (see the module's docstring)."""
    if not _ANY.search(text):
        return text
    kept = [m.span() for m in (_KEPT_HTML if html else _KEPT_TEXT).finditer(text)]
    out: list[str] = []
    done = 0
    # the marks of the prose only: between the kept spans (tags, foreign text, code)
    starts, ends = [0] + [e for _, e in kept], [s for s, _ in kept] + [len(text)]
    for start, end in zip(starts, ends, strict=True):
        for mark in _MARKS.finditer(text, start, end):
            at = mark.start()
            if html and text[at] == ";" and _ENTITY.search(text, max(0, at - 10), at):
                continue  # ends an entity (&amp;)
            done = _space(text, at, done, out)
    out.append(text[done:])
    spaced = "".join(out)
    return spaced.replace(FOREIGN, "").replace(END, "") if kept else spaced


def _space(text: str, at: int, done: int, out: list[str]) -> int:
    """Appends text[done:] up to the mark at `at`, with the space French wants beside it;
    returns where the text not yet appended starts."""
    char = text[at]
    if char == "«":
        after = text[at + 1] if at + 1 < len(text) else "\n"
        if after == NO_BREAK or (after.isspace() and after not in _SPACES):
            return done
        out.append(text[done : at + 1] + NO_BREAK)
        return at + 2 if after in _SPACES else at + 1
    if char != "»" and at + 1 < len(text) and text[at + 1] not in _AFTER:
        return done  # "a;b", "?x=1", "09:00", "mailto:"
    first = at
    while first > 0 and text[first - 1] in _SPACES:
        first -= 1
    before = text[first - 1] if first > 0 else "\n"
    if (
        before.isspace()  # a line's start: nothing to separate
        or before == "«"  # its own space is there
        or (first == at and before in ";:?!")  # "?!": one space before both
        or (before == ">" and not _after_closing_tag(text, first - 1))
        or _in_link(text, first)
    ):
        return done
    out.append(text[done:first] + _BEFORE_NARROW[char])
    return at


def _after_closing_tag(text: str, gt: int) -> bool:
    """Whether the tag ending at `gt` closes an element (</strong>: the text goes on)."""
    return text[text.rfind("<", 0, gt) + 1 : gt].startswith("/")


def _in_link(text: str, end: int) -> bool:
    """Whether the word ending at `end` is a URL or an address ("https://x.example/?")."""
    start = max(text.rfind(" ", 0, end), text.rfind("\n", 0, end), text.rfind(">", 0, end))
    return bool(_LINK.search(text, start + 1, end))


def finish(text: str, locale: str, *, html: bool = False) -> str:
    """What a reader in `locale` is shown: French typography for French, and the marks
    of text in another language removed."""
    if locale == "fr":
        return french(text, html=html)
    return text.replace(FOREIGN, "").replace(END, "") if FOREIGN in text else text


class Localized(str):
    """Text in a known language (`lang`, "" when unknown): a theme's title or prompt as
    one reader gets it. A page marks it (lang="…") where it is not the page's language,
    and French typography leaves it alone."""

    lang: str

    def __new__(cls, text: str, lang: str) -> "Localized":
        made = super().__new__(cls, text)
        made.lang = lang
        return made


class LocalizedMarkup(Markup):
    """Safe HTML in a known language (a theme's rendered prompt)."""

    lang: str

    def __new__(cls, html: str, lang: str) -> "LocalizedMarkup":
        made = super().__new__(cls, html)
        made.lang = lang
        return made


def foreign(value: object, locale: str) -> bool:
    """Whether `value` is text in a known language other than `locale`."""
    lang = getattr(value, "lang", "")
    return bool(lang) and lang != locale


def marked(value: str, locale: str) -> str:
    """`value` for a line built outside a template (a subject) that `finish` completes:
    marked when in another language than `locale`'s, so its punctuation stays its own."""
    return f"{FOREIGN}{value}{END}" if foreign(value, locale) else value
