"""Parked work, in words an animator reads: what each dead-letter queue holds ("1 score
update is waiting"), and which of them the admin space can send back by itself.

The queues are named as the `DEAD_LETTER_QUEUES` setting names them (template.yaml)."""

import gettext
from enum import StrEnum


class ParkedKind(StrEnum):
    SEND = "send"
    """emails (send jobs) SES or the sender kept failing"""
    SCORE = "score"
    """a batch of score updates (the table's stream)"""
    IMPORT = "import"
    SCHEDULE = "schedule"
    """a dispatch tick or the weekly digest run"""
    FEEDBACK = "feedback"
    """a bounce or complaint notification from SES"""
    INBOUND = "inbound"
    """a reply received by email"""
    ROSTER = "roster"
    """a chunk of a roster being applied (imports/chunks.py)"""


QUEUES = {
    ParkedKind.SEND: "SendDeadLetterQueue",
    ParkedKind.SCORE: "ScoreFailureQueue",
    ParkedKind.IMPORT: "ImportFailureQueue",
    ParkedKind.SCHEDULE: "ScheduleFailureQueue",
    ParkedKind.FEEDBACK: "FeedbackFailureQueue",
    ParkedKind.INBOUND: "InboundFailureQueue",
    ParkedKind.ROSTER: "RosterApplyDeadLetterQueue",
}
"""each kind's queue in template.yaml: what `palabre dlq` calls it"""

ORDER = tuple(ParkedKind)
"""how the page and the report list them"""

RETRY_LIMITS = {ParkedKind.SEND: 100, ParkedKind.SCORE: 5}
"""messages one Retry sends back at most: a click must answer within the HTTP API's
30 seconds, and a score batch is scored while it waits (up to a few seconds each); what
is left says so, and the next click takes it"""
RETRY_LIMIT = 50
"""the others': an asynchronous invocation is accepted in milliseconds"""


def kind_of(name: str) -> ParkedKind | None:
    """The kind of a queue named in DEAD_LETTER_QUEUES; None for a name Palabre does not
    know (shown by its name, never retried from the admin space)."""
    try:
        return ParkedKind(name)
    except ValueError:
        return None


def listed(name: str) -> tuple[int, str]:
    """A queue's place where queues are listed (the admin space, the weekly report)."""
    kind = kind_of(name)
    return (ORDER.index(kind) if kind else len(ORDER), name)


def waiting(kind: ParkedKind | None, count: int, tr: gettext.NullTranslations) -> str:
    """ "1 score update is waiting", in the reader's language (`tr`)."""
    n = {"num": count}
    match kind:
        case ParkedKind.SEND:
            return tr.ngettext("%(num)s email is waiting", "%(num)s emails are waiting", count) % n
        case ParkedKind.SCORE:
            return (
                tr.ngettext(
                    "%(num)s score update is waiting", "%(num)s score updates are waiting", count
                )
                % n
            )
        case ParkedKind.IMPORT:
            return (
                tr.ngettext(
                    "%(num)s file import is waiting", "%(num)s file imports are waiting", count
                )
                % n
            )
        case ParkedKind.SCHEDULE:
            return (
                tr.ngettext(
                    "%(num)s scheduled task is waiting",
                    "%(num)s scheduled tasks are waiting",
                    count,
                )
                % n
            )
        case ParkedKind.FEEDBACK:
            return (
                tr.ngettext(
                    "%(num)s bounce or complaint notice is waiting",
                    "%(num)s bounce or complaint notices are waiting",
                    count,
                )
                % n
            )
        case ParkedKind.INBOUND:
            return (
                tr.ngettext(
                    "%(num)s reply by email is waiting",
                    "%(num)s replies by email are waiting",
                    count,
                )
                % n
            )
        case ParkedKind.ROSTER:
            return (
                tr.ngettext(
                    "%(num)s part of a roster being applied is waiting",
                    "%(num)s parts of a roster being applied are waiting",
                    count,
                )
                % n
            )
    return tr.ngettext("%(num)s message is waiting", "%(num)s messages are waiting", count) % n
