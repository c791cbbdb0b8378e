"""The single-table key design. docs/data-model.md lists every access pattern it serves.

Each writer owns its own items, so no writer can overwrite another's state:
the roster import owns PROFILE, an unsubscribe owns PREFS, a bounce owns SUPPRESSED,
the score stream owns SCORE and the standings (BOARD#).
"""

from palabre.core.models import Member, group_key

ORG = "ORG"
DIRECTORY = {"PK": ORG, "SK": "DIRECTORY"}
DIRECTORY_PREFIX = "DIRECTORY"
CALENDAR = "CALENDAR"
INACTIVE = "inactive"


def directory_page(version: str, number: int) -> dict[str, str]:
    """One page of the circles and teams of the directory `version` (see MemberStore)."""
    return {"PK": ORG, "SK": f"{DIRECTORY_PREFIX}#{version}#{number:05d}"}


def lock(name: str) -> dict[str, str]:
    return {"PK": ORG, "SK": f"LOCK#{name}"}


def member(member_id: str) -> dict[str, str]:
    return {"PK": f"MEMBER#{member_id}", "SK": "PROFILE"}


PROFILE, STAGED_PROFILE = "PROFILE", "PROFILE#NEXT"


def staged_member(member_id: str) -> dict[str, str]:
    """A member's profile as a roster apply stages it, when its listings (circle, team,
    role, timezone) change: visible from the version it names (store/roster_apply.py)."""
    return {"PK": f"MEMBER#{member_id}", "SK": STAGED_PROFILE}


# The roster's version pointer: the version readers see, and the apply in flight if any.
ROSTER = {"PK": ORG, "SK": "ROSTER"}
ROSTER_CHUNKS = "ROSTER#"


def roster_chunk(version: int, number: int) -> dict[str, str]:
    """One chunk of a roster apply: the members it changes (written before its message)."""
    return {"PK": ORG, "SK": f"{roster_chunks(version)}{number:06d}"}


def roster_chunks(version: int) -> str:
    return f"{ROSTER_CHUNKS}{version:010d}#"


def roster_partition(role_or_inactive: str) -> str:
    return f"ROSTER#{role_or_inactive}"


def circle_partition(name: str) -> str:
    return f"CIRCLE#{group_key(name)}"


def team_partition(name: str) -> str:
    return f"TEAM#{group_key(name)}"


def member_in_zone(timezone: str, email: str = "") -> str:
    """Sort key inside a roster, circle or team partition: members grouped by timezone."""
    return f"MEMBER#{timezone}#{email}"


def member_indexes(m: Member) -> dict[str, str]:
    """GSI1 lists the roster by role; GSI2 and GSI3 list who takes part by circle and team.

    Inactive members and observers are left out of GSI2/GSI3 (sparse), so a dispatch
    never reads them.
    """
    keys = {
        "GSI1PK": roster_partition(m.role.value if m.active else INACTIVE),
        "GSI1SK": member_in_zone(m.timezone, m.email),
    }
    if m.takes_part:
        keys |= {
            "GSI2PK": circle_partition(m.circle),
            "GSI2SK": member_in_zone(m.timezone, m.email),
            "GSI3PK": team_partition(m.team),
            "GSI3SK": member_in_zone(m.timezone, m.email),
        }
    return keys


def theme_partition(theme_id: str) -> str:
    """A theme, its dispatch state, its send records, answers and votes."""
    return f"THEME#{theme_id}"


def theme(theme_id: str) -> dict[str, str]:
    return {"PK": theme_partition(theme_id), "SK": "THEME"}


def calendar_sort(send_on: str, theme_id: str) -> str:
    return f"{send_on}#{theme_id}"


# ---------------------------------------------------------------- dispatch
DISPATCH_OPEN = "DISPATCH#open"


def dispatch(theme_id: str) -> dict[str, str]:
    return {"PK": theme_partition(theme_id), "SK": "DISPATCH"}


def cursor(theme_id: str, group: str) -> dict[str, str]:
    """A dispatch group's cursor; `group` is its name, <job>#<part>#<zone>."""
    return {"PK": theme_partition(theme_id), "SK": f"CURSOR#{group}"}


CURSOR_PREFIX = "CURSOR#"


# ---------------------------------------------------------------- prompts and answers
PROMPTS, ANSWERS = "PROMPT#", "ANSWER#"
"""sort-key prefixes of a theme's send records and answers"""


def prompt(theme_id: str, member_id: str) -> dict[str, str]:
    return {"PK": theme_partition(theme_id), "SK": f"{PROMPTS}{member_id}"}


# A member's prompts in the order they were sent (GSI1 of the send records): streaks.
PROMPT_HISTORY, PROMPT_HISTORY_END = "PROMPT#", "PROMPT#~"


def prompt_in_history(sent_at: str, theme_id: str) -> str:
    return f"{PROMPT_HISTORY}{sent_at}#{theme_id}"


SILENT = "SILENT#"
"""partition, in GSI2 and GSI3, of a theme's prompts not answered yet"""


def silent_partition(theme_id: str) -> str:
    return f"{SILENT}{theme_id}"


_PART_BYTES = 240
"""each part of a silent prompt's sort key at most: four fit in a sort key's 1,024 bytes"""


def silent_sort(*parts: str) -> str:
    """A silent prompt's sort key: its parts (folded names, then the address) in order,
    each cut to fit; "\x01" sorts before any character a part holds."""
    return "\x01".join(_cut(p) for p in parts)


def silent_prefix(group: str) -> str:
    """The sort-key prefix of one circle's (GSI2) or team's (GSI3) silent prompts, by
    the group's folded name: names cut alike share it, so a reader checks the name."""
    return _cut(group) + "\x01"


def _cut(part: str) -> str:
    return part.encode()[:_PART_BYTES].decode(errors="ignore").replace("\x01", "")


def answer(theme_id: str, member_id: str) -> dict[str, str]:
    return {"PK": theme_partition(theme_id), "SK": f"{ANSWERS}{member_id}"}


RSVPS = "RSVP#"
"""sort-key prefix of a live session's responses, in its theme's partition"""


def rsvp(theme_id: str, member_id: str) -> dict[str, str]:
    return {"PK": theme_partition(theme_id), "SK": f"{RSVPS}{member_id}"}


def seats(theme_id: str) -> dict[str, str]:
    """A live session's seats taken (`taken`), moved in the same transaction as the RSVP
    that takes or frees one; outside the RSVP# range its readers query."""
    return {"PK": theme_partition(theme_id), "SK": "SEATS"}


def tally(theme_id: str) -> dict[str, str]:
    """A theme's participation, in all and per circle and team (store/tallies.py): the
    score stream moves it with the standings; outside every prefix its readers query."""
    return {"PK": theme_partition(theme_id), "SK": "TALLY"}


LIVE_SENDS = "LIVE#"
"""sort-key prefix of a live session's own send records (its reminders, the admins'
attendance lists), in its theme's partition"""


def live_send(theme_id: str, job: str, member_id: str, sequence: int = 0) -> dict[str, str]:
    """That one of a live session's emails (`job`: session-eve, session-hour, attendance)
    went to one member, or was skipped: written once, so a redelivery sends nothing. A
    reminder's, one per sequence of the session: moved, it is reminded at its new time."""
    sort_key = f"{LIVE_SENDS}{job}#{member_id}"
    return {
        "PK": theme_partition(theme_id),
        "SK": f"{sort_key}#{sequence}" if sequence else sort_key,
    }


def member_partition(member_id: str) -> str:
    """Profile, preferences, suppression and score of one member: one Query reads them."""
    return f"MEMBER#{member_id}"


def prefs(member_id: str) -> dict[str, str]:
    return {"PK": member_partition(member_id), "SK": "PREFS"}


def suppressed(member_id: str) -> dict[str, str]:
    return {"PK": member_partition(member_id), "SK": "SUPPRESSED"}


def week_partition(week: str) -> str:
    return f"WEEK#{week}"


# ---------------------------------------------------------------- scores and votes
def score(member_id: str) -> dict[str, str]:
    return {"PK": member_partition(member_id), "SK": "SCORE"}


def streak(member_id: str) -> dict[str, str]:
    return {"PK": member_partition(member_id), "SK": "STREAK"}


def board_partition(kind: str) -> str:
    """The standings of the teams or of the circles; `kind` is team or circle."""
    return f"BOARD#{kind}"


def board(kind: str, name: str) -> dict[str, str]:
    """A team's or circle's standing; `kind` is team or circle."""
    return {"PK": board_partition(kind), "SK": group_key(name)}


def vote(theme_id: str, author_id: str, voter_id: str) -> dict[str, str]:
    return {"PK": theme_partition(theme_id), "SK": f"VOTE#{author_id}#{voter_id}"}


def vote_in_week(
    circle: str, week: str, theme_id: str, author_id: str, voter_id: str
) -> dict[str, str]:
    """GSI2: a circle's votes of one week, beside its answers of that week; the digest
    finds the answers found useful lately, whenever they were written."""
    return {
        "GSI2PK": circle_partition(circle),
        "GSI2SK": f"{votes_of_week(week)}{theme_id}#{author_id}#{voter_id}",
    }


def votes_of_week(week: str) -> str:
    return f"VOTE#{week}#"


def answers_of_week(week: str) -> str:
    """GSI2 sort-key prefix of a circle's answers of one week (the answer API writes it)."""
    return f"ANSWER#{week}#"


# ---------------------------------------------------------------- digests
def digest_queued(week: str, role: str) -> dict[str, str]:
    """That the week's weekly emails to one role's members are queued: a retried digest
    run does not queue them again."""
    return {"PK": f"DIGEST#{week}", "SK": f"QUEUED#{role}"}


def digest_record(week: str, kind: str, member_id: str) -> dict[str, str]:
    """The send record of one weekly email (digest or admin report) to one member."""
    return {"PK": f"{kind.upper()}#{week}", "SK": f"MEMBER#{member_id}"}


SUPPRESSED = "SUPPRESSED"
# A member's state (PREFS, PROFILE, SCORE, STREAK, SUPPRESSED) in one Query of this range:
# whatever else the partition holds one day stays out of it.
STATE_FROM, STATE_TO = "PREFS", "SUPPRESSED~"


# ---------------------------------------------------------------- members' questions
# Sort keys of the member's partition that sort before PREFS: outside STATE_FROM..STATE_TO,
# so the sender's and the digest's reads of a member's state never read them.
ASKING = "ASKING"
ASKED = "ASKED#"
QUESTIONS = "QUESTIONS"


def asking(member_id: str) -> dict[str, str]:
    """The member's latest question and when it closes: its conditional write is what
    allows one open question per member."""
    return {"PK": member_partition(member_id), "SK": ASKING}


def asked(member_id: str, theme_id: str) -> dict[str, str]:
    """One question a member asked, kept after it closed (their list, the admin report);
    question ids begin with the instant asked, so these sort oldest first."""
    return {"PK": member_partition(member_id), "SK": f"{ASKED}{theme_id}"}


def asked_listing(asked_at: str, theme_id: str) -> dict[str, str]:
    """GSI1: every member's questions in the order they were asked (the admin report)."""
    return {"GSI1PK": QUESTIONS, "GSI1SK": f"{asked_at}#{theme_id}"}


# ---------------------------------------------------------------- erasures (GDPR Art. 17)
ERASURES = "ERASURES"


def erasure(member_id: str) -> dict[str, str]:
    """That a person's data was erased, and when: kept under their id (a hash of the
    address, never the address), outside their partition, which the erasure empties."""
    return {"PK": f"ERASURE#{member_id}", "SK": "ERASURE"}


# ---------------------------------------------------------------- sending's health
SENDING = "SENDING"
# The sender's shared pace: when the next email may go (see sending/pace.py).
PACE = {"PK": SENDING, "SK": "PACE"}
# New sends paused by the deliverability guard, until an admin resumes them.
PAUSE = {"PK": SENDING, "SK": "PAUSE"}
HOUR = "HOUR#"


def sending_hour(hour: str) -> dict[str, str]:
    """Sends, bounces and complaints of one UTC hour (`2026-12-01T09`), for the rolling
    24-hour rates of the deliverability guard."""
    return {"PK": SENDING, "SK": f"{HOUR}{hour}"}


# ---------------------------------------------------------------- replies by email
def inbound_mail(ses_message_id: str) -> dict[str, str]:
    """A received reply, once handled (palabre.inbound): SES's redelivery finds it."""
    return {"PK": f"INBOUND#{ses_message_id}", "SK": "MAIL"}


def inbound_notice(sender_key: str) -> dict[str, str]:
    """The last explanation sent to a sender whose reply was refused (one an hour);
    `sender_key` is core.models.member_id of the address, never the address."""
    return {"PK": f"INBOUND#{sender_key}", "SK": "NOTICE"}


# ---------------------------------------------------------------- the admins' activity
ACTIVITY = "ACTIVITY"
"""the partition of what admins did in their space (store/activity.py), by instant"""


def activity(at: str, nonce: str) -> dict[str, str]:
    return {"PK": ACTIVITY, "SK": f"{at}#{nonce}"}


# ---------------------------------------------------------------- import history
IMPORTS = "IMPORTS"


def import_upload(upload_id: str) -> dict[str, str]:
    """One upload of a roster or calendar (`<yyyymmddThhmmssffffffZ>-<random>`): the
    history lists the partition newest first."""
    return {"PK": IMPORTS, "SK": upload_id}
