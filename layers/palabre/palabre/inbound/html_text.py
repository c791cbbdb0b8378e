"""An HTML reply as plain text, with its quoted history marked as clients mark it in
plain text: each quoted line starts with "> ", so quoting.own_text reads both the same.

Blocks become lines, `<br>` a line break, list items "- " or "1. ", entities their
characters; `<head>`, `<style>`, `<script>` and hidden elements give nothing. What
clients wrap the history in becomes quoted lines: Gmail's `gmail_quote`, Apple Mail's
and Thunderbird's `<blockquote type="cite">`, Yahoo's `yahoo_quoted`, any `<blockquote>`.
Outlook puts no wrapper around it: its reply header (`#appendonsend`, `#divRplyFwdMsg`,
the border-top rule of Outlook for Windows) is followed by the old message, so the text
ends there. Marked signatures (Gmail's, Outlook's, Thunderbird's) are left out.
"""

import re
from collections import Counter
from html.parser import HTMLParser

# Elements read as their own lines, as a browser lays them out (one regex: the names fit
# on three lines, where a set literal would take forty).
_BLOCKS = re.compile(
    r"address|article|aside|blockquote|center|dd|div|dl|dt|fieldset|figure|footer|form"
    r"|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|tbody|thead|tfoot|tr|ul"
)
_VOID = re.compile(r"area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr")
_SKIPPED = re.compile(r"head|style|script|title|template|xml|noscript")

_QUOTE_CLASSES = re.compile(
    r"\b(?:gmail_quote|gmail_quote_container|gmail_attr|yahoo_quoted|moz-cite-prefix)\b"
)
_SIGNATURE_CLASSES = re.compile(r"\b(?:gmail_signature|gmail_signature_prefix|moz-signature)\b")
_SIGNATURE_IDS = re.compile(r"^(?:x_)?(?:Signature|ms-outlook-mobile-signature)$", re.IGNORECASE)
_HISTORY_IDS = re.compile(r"^(?:x_)?(?:appendonsend|divRplyFwdMsg)$", re.IGNORECASE)
_OUTLOOK_RULE = re.compile(
    r"border-top:\s*solid\s+#(?:E1E1E1|B5C4DF)", re.IGNORECASE
)  # Outlook for Windows' line above "From: … Sent: …"
_HIDDEN = re.compile(r"display:\s*none", re.IGNORECASE)
# Outlook's paragraphs have no margins (class MsoNormal): one line each, like a <div>.
_TIGHT = re.compile(r"\bMsoNormal\b|margin(?:-top)?:\s*0(?:[a-z%]*)(?:[;\s]|$)", re.IGNORECASE)
_MAX_INDENT = 6  # list levels shown; deeper ones (a hostile <ul><ul>…) stay at that indent
_WHITESPACE = re.compile(r"[ \t\r\n\f]+")


class _Element:
    __slots__ = ("counter", "hidden", "paragraph", "quote", "tag")

    def __init__(self, tag: str, *, quote: bool, hidden: bool, paragraph: bool) -> None:
        self.tag = tag
        self.quote = quote
        self.hidden = hidden
        self.paragraph = paragraph
        """a <p> with its margins: a blank line before and after"""
        self.counter = 0


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []  # (quote depth, text)
        self.line: list[str] = []
        self.line_depth = 0
        self.open: list[_Element] = []
        # Kept as counts, not read off the stack: an unclosed <div> a thousand times over
        # must not make each piece of text cost a thousand steps.
        self.open_tags: Counter[str] = Counter()
        self.hidden = 0
        self.depth = 0
        self.lists: list[_Element] = []  # the open <ul> and <ol>, innermost last
        self.ended = False

    # -- the elements -------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.ended:
            return
        values = {name: value or "" for name, value in attrs}
        if self._starts_history(tag, values):
            self.ended = True
            return
        if _VOID.fullmatch(tag):
            self._void(tag)
            return
        if tag in ("p", "li") and self.open and self.open[-1].tag == tag:
            self.handle_endtag(tag)  # an unclosed <p> or <li> ends at the next one
        classes, style = values.get("class", ""), values.get("style", "")
        element = _Element(
            tag,
            quote=tag == "blockquote" or bool(_QUOTE_CLASSES.search(classes)),
            hidden=bool(_SKIPPED.fullmatch(tag))
            or bool(_HIDDEN.search(style))
            or bool(_SIGNATURE_CLASSES.search(classes))
            or bool(_SIGNATURE_IDS.match(values.get("id", ""))),
            paragraph=tag == "p" and not _TIGHT.search(f"{classes} {style}"),
        )
        self._push(element)
        if self.hidden:
            return
        if element.paragraph:
            self._paragraph()
        elif tag == "li":
            self._list_item()
        elif _BLOCKS.fullmatch(tag):
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if _VOID.fullmatch(tag):
            self.handle_starttag(tag, attrs)
        else:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.ended or not self.open_tags[tag]:
            return
        while self.open:
            element = self._pop()
            if not self.hidden and _BLOCKS.fullmatch(element.tag):
                if element.paragraph:
                    self._paragraph()
                else:
                    self._break()
            if element.tag == tag:
                return

    def handle_data(self, data: str) -> None:
        if self.ended or self.hidden:
            return
        if self.open_tags["pre"]:
            for n, piece in enumerate(data.split("\n")):
                if n:
                    self._newline()
                self._write(piece)
            return
        text = _WHITESPACE.sub(" ", data)
        if not self.line or self.line[-1].endswith(" "):
            text = text.lstrip(" ")
        self._write(text)

    def _starts_history(self, tag: str, values: dict[str, str]) -> bool:
        return bool(
            _HISTORY_IDS.match(values.get("id", ""))
            or (tag == "div" and _OUTLOOK_RULE.search(values.get("style", "")))
        )

    def _push(self, element: _Element) -> None:
        self.open.append(element)
        self.open_tags[element.tag] += 1
        self.hidden += element.hidden
        self.depth += element.quote
        if element.tag in ("ul", "ol"):
            self.lists.append(element)

    def _pop(self) -> _Element:
        element = self.open.pop()
        self.open_tags[element.tag] -= 1
        self.hidden -= element.hidden
        self.depth -= element.quote
        if element.tag in ("ul", "ol"):
            self.lists.pop()
        return element

    def _void(self, tag: str) -> None:
        if self.hidden:
            return
        if tag == "br":
            self._newline()
        elif tag == "hr":
            self._break()

    # -- the text -----------------------------------------------------------------------

    def _write(self, text: str) -> None:
        if not text:
            return
        if not self.line:
            self.line_depth = self.depth
        self.line.append(text)

    def _newline(self) -> None:
        depth = self.line_depth if self.line else self.depth
        self.lines.append((depth, "".join(self.line).rstrip(" ")))
        self.line = []

    def _break(self) -> None:
        if self.line:
            self._newline()

    def _paragraph(self) -> None:
        self._break()
        if self.lines and self.lines[-1][1]:
            self.lines.append((self.depth, ""))

    def _list_item(self) -> None:
        self._break()
        if not self.lists:
            return
        lists = self.lists
        indent = "  " * min(len(lists) - 1, _MAX_INDENT)
        if lists[-1].tag == "ol":
            lists[-1].counter += 1
            self._write(f"{indent}{lists[-1].counter}. ")
        else:
            self._write(f"{indent}- ")

    def text(self) -> str:
        self._break()
        return "\n".join(
            ("> " + line if line else ">") if depth else line for depth, line in self.lines
        )


def html_to_text(html: str) -> str:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.text()
