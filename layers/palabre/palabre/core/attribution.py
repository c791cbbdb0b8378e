"""Who an answer is shown as: its byline, and whether an anonymous answer may be shown at
all (the k-anonymity rule). Every output that shows others' answers — digests, the admin
report and its CSV, vote pages, the member's space — goes through these two functions.

For the reader applying them to a new page:

- `byline(answer)` is what to print beside an answer: "Léa M. · Bâtisseurs" for a named
  one (as much as is known: answers written before the last initial was kept give
  "Léa · Bâtisseurs"), and "" for an anonymous one: print a plain "Anonymous" label
  instead, never a name, a circle or anything else taken from the answer's item.
  It is text, not HTML: let the template escape it.
- `shown(answers, threshold)` takes every answer ONE view would show (one page, one
  edition, one CSV: all its sections together, answers of several themes allowed) and
  returns them in the same order without the anonymous answers that view must hold back.
  Apply it to the whole list before cutting it to a page size or counting "N more";
  an anonymous answer it drops is not shown, not counted, not mentioned.
- The threshold is the template's `AnonymityThreshold`: in `functions/personal_links`,
  `config.PersonalLinksSettings.from_env().anonymity_threshold` (the answer routes read
  it already; the digest reads it through `DigestSettings`).
- Both take `core.models.Answer` as stored (an anonymous one already holds no
  `first_name` nor `last_initial`, but still its `circle`, for who may read it: never
  print `answer.circle` or `answer.first_name` directly) or a digest's `DigestAnswer`.
- A "useful" link: `Links.vote` seals its author (core.tokens.Signer.seal), anonymous
  or not; a plain member id in a link would name its author.

What counts: an anonymous answer is shown only when the view holds at least `threshold`
answers to its theme, named or not (issue 9 §3: a reader cannot tell its author as the
one colleague who answered), and at least two anonymous ones (PRODUCT.md §12: never tied
to its author, admins included — an admin knows who answered a theme from the report's
non-responders, so a lone anonymous answer among named ones would name its author).
Counting only anonymous answers up to the threshold was weighed and left: three
anonymous answers to one theme in a circle of six is rare, and a member who signs
anonymously would find their answer nowhere.
"""

import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

from palabre.core.models import Attribution, Visibility


class Attributed(Protocol):
    """What the two functions read of an answer (core.models.Answer, a digest's answer)."""

    @property
    def theme_id(self) -> str: ...
    @property
    def visibility(self) -> Visibility: ...
    @property
    def attribution(self) -> Attribution: ...
    @property
    def first_name(self) -> str: ...
    @property
    def last_initial(self) -> str: ...
    @property
    def circle(self) -> str: ...


PAIRED = 2
"""anonymous answers to a theme a view must hold to show any (with a threshold of 1,
every answer shows)"""


def initial(last_name: str) -> str:
    """The first letter of a last name, capitalised: "dubois" -> "D", "Élie" -> "É"."""
    name = unicodedata.normalize("NFC", last_name).strip()
    letter = next((c for c in name if c.isalpha()), "")
    return letter.upper()


def byline(answer: Attributed) -> str:
    """ "Léa M. · Bâtisseurs" for a named answer, "" for an anonymous one."""
    if answer.attribution is Attribution.ANONYMOUS:
        return ""
    name = answer.first_name
    if answer.last_initial:
        name = f"{name} {answer.last_initial}." if name else ""
    return " · ".join(part for part in (name, answer.circle) if part)


def shown[A: Attributed](answers: Sequence[A], threshold: int) -> list[A]:
    """`answers` (one view's) without the anonymous ones held back by the rule above."""
    per_theme = Counter(a.theme_id for a in answers)
    anonymous = Counter(a.theme_id for a in answers if a.attribution is Attribution.ANONYMOUS)
    return [
        a
        for a in answers
        if a.attribution is not Attribution.ANONYMOUS
        or (per_theme[a.theme_id] >= threshold and anonymous[a.theme_id] >= min(PAIRED, threshold))
    ]
