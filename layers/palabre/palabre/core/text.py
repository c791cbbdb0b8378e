"""Small text rules shared by imports, pages and emails."""

import functools
import re
import unicodedata

# Pragmatic address check: what SES accepts in practice, ASCII only (no SMTPUTF8).
EMAIL_PATTERN = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_EMAIL = re.compile(EMAIL_PATTERN)
_SEPARATORS = re.compile(r"[\s_\-]+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "ʼ": "'"})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    if decomposed.isascii():
        return decomposed
    # Each distinct mark dropped by str.replace, in C: testing each character in Python
    # cost the library's filter 24 ms a page for 500 answers (400,000 characters), this
    # 10 (str.translate with a dict of the marks: 60).
    for mark in {c for c in set(decomposed) if unicodedata.combining(c)}:
        decomposed = decomposed.replace(mark, "")
    return decomposed


@functools.lru_cache(maxsize=4096)
def fold(value: str) -> str:
    """Case-, accent- and separator-insensitive form, for headers and names (remembered:
    a batch folds the same circle and team names again and again)."""
    folded = strip_accents(value.translate(_APOSTROPHES)).casefold()
    return _SEPARATORS.sub(" ", folded).strip()


def slugify(value: str, max_length: int = 64) -> str:
    slug = _NOT_SLUG.sub("-", strip_accents(value).casefold()).strip("-")
    return slug[:max_length].rstrip("-")


def is_email(value: str) -> bool:
    return len(value) <= 254 and _EMAIL.match(value) is not None


# Unicode's category Cc is exactly these 65 code points: a regular expression finds them
# many times faster than a category lookup per character (200,000 roster rows).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_characters(value: str, *, multiline: bool = False) -> list[str]:
    """Control characters in `value` (NUL, escapes...); newlines and tabs only if multiline."""
    return (_CONTROLS_BUT_LINES if multiline else _CONTROLS).findall(value)


def collapse_spaces(value: str) -> str:
    return " ".join(value.split())


# Line and paragraph separators (U+2028/2029) and controls break a header line; format
# characters (bidi overrides and isolates, zero-width ones) make a name read otherwise
# than it is; surrogates and unassigned code points have no place in a header.
_BREAKS = {"Cc", "Zl", "Zp"}
_DROPPED = {"Cf", "Cs", "Co", "Cn"}


def one_line(value: str, limit: int = 80) -> str:
    """`value` fit for one line of a header or a title, as a reader would see it:
    breaks and controls become spaces, format and bidi characters go, spaces collapse,
    and past `limit` characters it is cut with an ellipsis."""
    kept = "".join(
        " " if unicodedata.category(c) in _BREAKS else c
        for c in value
        if unicodedata.category(c) not in _DROPPED
    )
    text = collapse_spaces(kept)
    if len(text) <= limit:
        return text or "…"
    return text[: limit - 1].rstrip() + "…"


# What starts a formula in Excel, LibreOffice or Google Sheets (full-width forms too: Excel
# reads ＝ as =), and what a spreadsheet may split a cell on: the file's separator is the
# reader's guess (French Excel splits on ";"), so every piece must be inert.
_FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
_CELL_SEPARATORS = re.compile(r"([,;\t|\r\n])")
_LEAD = " \"'\u00a0"


def inert_cell(value: object) -> str:
    """A CSV cell no spreadsheet evaluates, whatever separator it splits the file on
    (OWASP CSV injection): a cell starting with a formula character (after spaces and
    quotes, TAB and CR included), and each piece after a , ; TAB | or line break that
    would, get an apostrophe in front (shown as text, as a typed ' does). A number (an
    int or a float, never a text that looks like one) is written as it is: -5 in a
    points column stays a number, "-5" typed as an answer becomes '-5."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    if not _FORMULA_START.intersection(text):
        return text  # the common case: nothing to look at
    parts = _CELL_SEPARATORS.split(text)  # piece, separator, piece, ...
    for n in range(0, len(parts), 2):
        if parts[n].lstrip(_LEAD)[:1] in _FORMULA_START and parts[n][:1] != "'":
            parts[n] = "'" + parts[n]
    if text[:1] in _FORMULA_START and parts[0][:1] != "'":
        parts[0] = "'" + parts[0]
    return "".join(parts)


# Bidi embeddings, overrides, isolates and marks, and the invisible characters (zero-width
# space, non-joiner, word joiner, BOM, Mongolian vowel separator, soft hyphen...): each
# can make a name or an answer read as something else ("Trojan Source"). French and
# English text never needs them.
_SPOOFING = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# A zero-width joiner is kept only inside an emoji sequence (👩‍💻: woman, ZWJ, laptop),
# where it is what draws one picture; anywhere else it only hides.
_LONE_JOINER = re.compile(
    "(?<![\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\U0001f3fb-\U0001f3ff])\u200d"
    "|\u200d(?![\U0001f000-\U0001faff\u2600-\u27bf])"
)


def without_spoofing(value: str) -> str:
    """`value` without the bidi controls and invisible characters that disguise text;
    accents, every script's letters and emoji (their ZWJ sequences too) are kept."""
    if value.isascii():
        return value  # the common case: nothing to look at
    if "\u200d" not in value:
        return _SPOOFING.sub("", value) if _SPOOFING.search(value) else value
    return _LONE_JOINER.sub("", _SPOOFING.sub("", value))
