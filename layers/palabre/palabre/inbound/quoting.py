"""A reply's own lines, out of the text a mail client sent: the quoted history, the
attribution lines that introduce it, signatures and the footers mobile clients add go.

Where the history starts is told by what clients write, not by position: a member may
answer above the quote (top-posting, most clients), below it (bottom-posting) or between
its lines (interleaving), so `>` lines are dropped one by one and only an unquoted
history (Outlook's header block, a forward, an attribution followed by plain text) cuts
everything after it.
"""

import re

# What a line starts with when it is quoted: RFC 3676's ">" stacking, with or without
# spaces between the marks.
_QUOTED = re.compile(r"^[ \t]*>")
_SPACES = "[ \t\u00a0\u202f]"

# "On Tue, 1 Dec 2026 at 09:00, Palabre <themes@example.com> wrote:" (Gmail, Apple Mail,
# Thunderbird, Outlook for iOS and Android, Yahoo) and "Le mar. 1 déc. 2026 à 09:00,
# Palabre <…> a écrit :" (their French forms, with a space or a no-break space before
# the colon); mutt's "* Palabre <…> [2026-12-01 09:00 +0100]:". A date or an address
# must be in it (a digit or an "@"): "On reflection, here is what I wrote:" is the
# member's own sentence.
_ATTRIBUTION = re.compile(
    rf"^(?:On{_SPACES}.*\bwrote|Le{_SPACES}.*\ba{_SPACES}+[ée]crit|Am{_SPACES}.*\bschrieb.*"
    rf"|\*{_SPACES}.*\[\d{{4}}-\d\d-\d\d.*\])"
    rf"{_SPACES}*:$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(rf"^(?:On|Le|Am|\*){_SPACES}", re.IGNORECASE)
_ATTRIBUTION_MAX = 400

# Outlook's header block ("From: … / Sent: … / To: … / Subject: …", in French "De : … /
# Envoyé : … / À : … / Objet : …"), bold in some plain-text conversions (*From:*).
_HEADER_FROM = re.compile(rf"^\*?(?:From|De|Von){_SPACES}*:\*?{_SPACES}*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    rf"^\*?(?:Sent|Date|Envoy[ée]|To|[ÀA]|Subject|Objet|Cc|Gesendet|An|Betreff)"
    rf"{_SPACES}*:\*?",
    re.IGNORECASE,
)

# Separators that start the history: Outlook's "-----Original Message-----" (in French
# "-----Message d'origine-----"), Gmail's "---------- Forwarded message ---------",
# Apple Mail's "Begin forwarded message:".
_SEPARATOR = re.compile(
    r"^-{2,}\s*(?:Original Message|Message d['’]origine|Message original|Forwarded message"
    r"|Message transf[ée]r[ée]|Message transmis|Urspr[üu]ngliche Nachricht)\s*-{2,}$"
    rf"|^(?:Begin forwarded message|D[ée]but du message r[ée]exp[ée]di[ée]){_SPACES}*:$",
    re.IGNORECASE,
)
# Outlook's line of underscores, and a rule of dashes: kept only when no history follows.
_RULE = re.compile(r"^(?:_{10,}|-{10,})$")

# RFC 3676's signature delimiter "-- " (many clients trim it to "--").
_SIGNATURE = re.compile(r"^--[ \u00a0]?$")

# Footers clients add under what the member typed, in English and French.
_FOOTER = re.compile(
    r"^(?:"
    r"Sent from my \w+(?: \w+){0,3}"
    r"|Sent from (?:Outlook|Yahoo Mail|Mail|AOL Mail|Gmail)(?: (?:for|on) \w+(?: \w+)?)?"
    r"|Get Outlook for \w+"
    r"|Envoy[ée] (?:de|depuis|à partir de) (?:mon|ma) \w+(?: \w+){0,3}"
    r"|Envoy[ée] (?:de|depuis|à partir de) (?:Outlook|Yahoo Mail|Courrier|Mail|Gmail)"
    r"(?: (?:pour|sur) \w+(?: \w+)?)?"
    r"|(?:Obtenir|Téléchargez|Télécharger) Outlook pour \w+"
    r")[.!]?(?:\s*<[^>\s]+>)?$",
    re.IGNORECASE,
)


def unflowed(text: str, *, delsp: bool) -> str:
    """RFC 3676: a line ending in a space continues on the next (of the same quote depth);
    with DelSp=yes that space is the client's, not the member's, and goes."""
    out: list[str] = []
    joining: tuple[int, str] | None = None  # quote depth, text so far
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        soft = content.endswith(" ") and content != "-- "
        if joining is not None and joining[0] == depth:
            content = joining[1] + content
        elif joining is not None:
            out.append(_quoted(*joining))
        if soft:
            joining = (depth, content[:-1] if delsp else content)
        else:
            joining = None
            out.append(_quoted(depth, content))
    if joining is not None:
        out.append(_quoted(*joining))
    return "\n".join(out)


def _quoted(depth: int, content: str) -> str:
    return "> " * depth + content if depth else content


def own_text(text: str) -> str:
    """The member's lines of a plain-text reply, blank runs collapsed, trimmed."""
    lines = [line.rstrip() for line in text.split("\n")]
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if _QUOTED.match(line) or _FOOTER.match(stripped):
            index += 1
            continue
        if _SIGNATURE.match(line) or _SEPARATOR.match(stripped) or _header_block(lines, index):
            break
        attribution = _attribution(lines, index)
        if attribution:
            following = _next_filled(lines, index + attribution)
            if following is None or not _QUOTED.match(lines[following]):
                break  # an unquoted history follows: everything below is the old message
            index += attribution
            continue
        kept.append(line)
        index += 1
    while kept and (not kept[-1].strip() or _RULE.match(kept[-1].strip())):
        kept.pop()
    return _collapsed(kept)


def _attribution(lines: list[str], index: int) -> int:
    """How many lines (1 to 3) the attribution starting at `index` spans, or 0."""
    first = lines[index].strip()
    if not _ATTRIBUTION_START.match(first):
        return 0
    joined = first
    for span in range(1, 4):
        if len(joined) <= _ATTRIBUTION_MAX and _ATTRIBUTION.match(joined):
            return span if re.search(r"\d|@", joined) else 0
        if index + span >= len(lines) or not lines[index + span].strip():
            return 0
        joined = f"{joined} {lines[index + span].strip()}"
    return 0


def _header_block(lines: list[str], index: int) -> bool:
    if not _HEADER_FROM.match(lines[index].strip()):
        return False
    following = [line.strip() for line in lines[index + 1 : index + 4] if line.strip()]
    return any(_HEADER_NEXT.match(line) for line in following[:2])


def _next_filled(lines: list[str], start: int) -> int | None:
    return next((n for n in range(start, len(lines)) if lines[n].strip()), None)


def _collapsed(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if line.strip():
            out.append(line)
        elif out and out[-1]:
            out.append("")
    return "\n".join(out).strip()  # as the answer form keeps it
