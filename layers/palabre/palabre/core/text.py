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


def control_characters(value: str, *, multiline: bool = False) -> list[str]:
    """Control characters in `value` (NUL, escapes...); newlines and tabs only if multiline."""
    allowed = {"\n", "\r", "\t"} if multiline else set()
    return [c for c in value if c not in allowed and unicodedata.category(c) == "Cc"]


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
