"""Scores and digests: DynamoDB writes for a stream batch of 100 answers; what a digest
reads with one week and with a year of history; building one reader's digest."""

import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bench.machine import own_process
from palabre.core.directory import Directory
from palabre.core.links import Links
from palabre.core.models import Audience, Member, Theme, Visibility, group_key
from palabre.core.tokens import Signer
from palabre.digest.editions import DigestAnswer, DigestTheme, Edition, Rate
from palabre.store import keys
from palabre.store.members import directory_items, member_item
from palabre.store.sends import silent_keys
from palabre.store.themes import theme_item

if TYPE_CHECKING:
    from sam_moto.stack import LocalStack

PARIS = ZoneInfo("Europe/Paris")
CIRCLES = 10
PER_CIRCLE = 10
TEAMS = 4
FIRST_MONDAY = date(2025, 12, 1)


def _members(circles: range = range(CIRCLES), prefix: str = "m") -> list[Member]:
    return [
        Member(
            email=f"{prefix}{c:02d}{n:02d}@bench.palabre.example",
            first_name=f"Prénom{c}{n}",
            circle=f"Cercle {c:02d}",
            team=f"Équipe {(c * PER_CIRCLE + n) % TEAMS}",
            locale="fr",
            timezone="Europe/Paris",
        )
        for c in circles
        for n in range(PER_CIRCLE)
    ]


def _history(members: list[Member], weeks: int) -> list[dict[str, Any]]:
    """What `weeks` weeks of Palabre leave in the table: themes, prompts, answers, "useful"
    votes, awards, scores, standings, suppressions, streaks and send records — written
    directly, as the handlers would."""
    rng = random.Random(weeks)
    items: list[dict[str, Any]] = [member_item(m) for m in members]
    boards: Counter[tuple[str, str]] = Counter()
    items.extend(directory_items(Directory.of(members), "bench"))
    points: Counter[str] = Counter()
    for week in range(weeks):
        monday = FIRST_MONDAY + timedelta(weeks=week)
        theme = Theme(
            id=f"week-{week:02d}",
            send_on=monday + timedelta(days=1),
            title=f"Thème {week}",
            prompt="Qu'avez-vous essayé ?",
            audience=Audience(everyone=True),
        )
        items.append(theme_item(theme))
        sent_at = datetime.combine(theme.send_on, datetime.min.time(), PARIS) + timedelta(hours=9)
        iso_year, iso_week, _ = monday.isocalendar()
        week_id = f"{iso_year}-W{iso_week:02d}"
        for member in members:
            mid = member.id
            answered = rng.random() >= 0.5
            # an unanswered prompt keeps its place among the theme's silent ones
            silent = (
                {}
                if answered
                else silent_keys(
                    theme.id, member.circle, member.team, member.first_name, member.email
                )
            )
            items.append(
                {
                    **keys.prompt(theme.id, mid),
                    "type": "prompt",
                    "theme_id": theme.id,
                    "member_id": mid,
                    "status": "sent",
                    "at": sent_at.isoformat(),
                    "sent_at": sent_at.isoformat(),
                    "deadline": (sent_at + timedelta(days=8)).isoformat(),
                    "circle": member.circle,
                    "team": member.team,
                    "GSI1PK": keys.member_partition(mid),
                    "GSI1SK": f"PROMPT#{sent_at.isoformat()}#{theme.id}",
                    **silent,
                }
            )
            if not answered:
                continue
            circle = group_key(member.circle)
            items.append(
                {
                    **keys.answer(theme.id, mid),
                    "type": "answer",
                    "theme_id": theme.id,
                    "member_id": mid,
                    "text": f"Réponse de la semaine {week}. " * 8,
                    "created_at": (sent_at + timedelta(hours=2)).isoformat(),
                    "updated_at": (sent_at + timedelta(hours=2)).isoformat(),
                    "visibility": rng.choice(["circle", "organisation"]),
                    "week": week_id,
                    "points": 15,
                    "circle": member.circle,
                    "team": member.team,
                    "first_name": member.first_name,
                    "useful": rng.randint(0, 3),
                    "GSI1PK": keys.week_partition(week_id),
                    "GSI1SK": f"ANSWER#{circle}#{theme.id}#{mid}",
                    "GSI2PK": f"CIRCLE#{circle}",
                    "GSI2SK": f"ANSWER#{week_id}#{theme.id}#{mid}",
                }
            )
            points[mid] += 15
            boards[("team", member.team)] += 1
            boards[("circle", member.circle)] += 1
            # "Useful" votes come from the next week's digest, and count in that week
            voted_in = monday + timedelta(weeks=1)
            vote_week = "{}-W{:02d}".format(*voted_in.isocalendar()[:2])
            for voter in rng.sample(members, rng.choice([0, 0, 1, 2])):
                if voter.id == mid:
                    continue
                items.append(
                    {
                        **keys.vote(theme.id, mid, voter.id),
                        **keys.vote_in_week(member.circle, vote_week, theme.id, mid, voter.id),
                        "type": "vote",
                        "theme_id": theme.id,
                        "author_id": mid,
                        "voter_id": voter.id,
                        "circle": member.circle,
                        "team": member.team,
                    }
                )
                points[mid] += 2
        if week < weeks - 1:  # every past week had its digest sent
            items.extend(
                {**keys.digest_record(week_id, "digest", m.id), "status": "sent"} for m in members
            )
        if week == weeks - 2:  # and that digest left each reader's streak settled this far
            items.extend(
                {
                    **keys.streak(m.id),
                    "streak": 1,
                    "through": f"PROMPT#{sent_at.isoformat()}#{theme.id}",
                }
                for m in members
            )
    for member in members:
        items.append({**keys.score(member.id), "points": points[member.id]})
    for kind, name in {("team", m.team) for m in members} | {("circle", m.circle) for m in members}:
        of = [m for m in members if (m.team if kind == "team" else m.circle) == name]
        items.append(
            {
                **keys.board(kind, name),
                "name": name,
                "points": sum(points[m.id] for m in of),
                "answers": boards[(kind, name)],
                "prompts": len(of) * weeks,
            }
        )
    # Two addresses bounced along the way: the report lists them
    items.extend(
        {
            **keys.suppressed(m.id),
            "type": "suppressed",
            "email": m.email,
            "reason": "bounce",
            "GSI1PK": keys.SUPPRESSED,
            "GSI1SK": f"2026-01-05T10:00:00+00:00#{m.email}",
        }
        for m in members[:2]
    )
    return items


def _digest_reads(
    history: int, then: Callable[["LocalStack", list[Member]], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """What Monday's digest reads after `history` weeks of Palabre, plus the week it covers
    (whose digest goes out: prompts, answers, the theme that closed that week); and what
    `then` measures on the same stack once the digest is out (under "then")."""
    weeks = history + 1
    from moto.dynamodb.models import dynamodb_backends

    import palabre.aws
    from bench.roster_import import in_process_moto
    from palabre.store.table import to_dynamo
    from palabre_cli.local import REGION, make_stack
    from sam_moto.clock import LocalClock
    from sam_moto.provision import ACCOUNT

    members = _members()
    last_monday = FIRST_MONDAY + timedelta(weeks=weeks)
    with in_process_moto():
        palabre.aws.reset()
        stack = make_stack(
            endpoint=None,
            clock=LocalClock(
                datetime.combine(last_monday, datetime.min.time(), PARIS) + timedelta(hours=7)
            ),
            log_level="ERROR",
        )
        # The history is written as the handlers left it, scores included: the score stream
        # is not what this measures, so it does not run on it.
        stack.provisioned.stream_triggers.clear()
        # Put straight into moto's table (in this process): the same items, without a
        # BatchWriteItem's serialising both ways, which is not what this measures either.
        name = stack.provisioned.tables["PalabreTable"]
        moto_table = dynamodb_backends[ACCOUNT][REGION].get_table(name)
        for item in _history(members, weeks):
            moto_table.put_item(to_dynamo(item))
        read_items: Counter[str] = Counter()

        def count(model: Any, parsed: dict[str, Any], **_: Any) -> None:
            if model.name in ("Query", "Scan"):
                read_items["items"] += parsed.get("Count", 0)
            elif model.name == "GetItem":
                read_items["items"] += 1 if "Item" in parsed else 0
            elif model.name == "BatchGetItem":
                read_items["items"] += sum(len(v) for v in parsed.get("Responses", {}).values())
            if model.name in ("Query", "Scan", "GetItem", "BatchGetItem"):
                read_items["requests"] += 1

        palabre.aws.client("dynamodb").meta.events.register("after-call.dynamodb.*", count)
        started = time.perf_counter()
        invocation = stack.runtime.invoke(
            "WeeklyDigestFunction",
            {
                "time": (
                    datetime.combine(last_monday, datetime.min.time(), PARIS) + timedelta(hours=8)
                ).isoformat()
            },
        )
        if invocation.error:
            raise RuntimeError(invocation.error)
        stack.drain()
        elapsed = time.perf_counter() - started
        figures: dict[str, Any] = {
            "items": read_items["items"],
            "requests": read_items["requests"],
            "delivered": len(stack.raw_mail()),
            "seconds": elapsed,
        }
        figures["then"] = then(stack, members) if then else {}
        palabre.aws.reset()
    return figures


def digest_read_cost(
    then: Callable[["LocalStack", list[Member]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The digest's reads after one week and after a year; `then` measures on the year's
    stack once its digest is out."""
    one, year = _digest_reads(1), _digest_reads(52, then)
    return {"one": one, "year": year, "ratio": year["items"] / one["items"], "then": year["then"]}


def digest_build_seconds() -> float:
    return digest_build()


def _edition(members: list[Member]) -> Edition:
    answers = [
        DigestAnswer(
            theme_id="week-01",
            author_id=m.id,
            first_name=m.first_name,
            circle=m.circle,
            text="Un rituel qui a marché : " + "détail. " * 20,
            visibility=Visibility.CIRCLE,
            useful=i % 3,
        )
        for i, m in enumerate(members[:12])
    ]
    return Edition(
        week="2026-W49",
        start=date(2026, 11, 30),
        end=date(2026, 12, 6),
        scope="circle",
        circle="Cercle 00",
        themes=[DigestTheme(id="week-01", title="Nos rituels", answers=answers)],
        top=[a for a in answers if a.useful][:3],
        participation=Rate(answers=6, prompts=10),
        teams=[Rate(name=f"Équipe {t}", answers=10 + t, prompts=20, points=150) for t in range(4)],
    )


def digest_build(runs: int = 300) -> float:
    from pathlib import Path

    from palabre.core.streaks import StreakFigures
    from palabre.digest.mail import compose_digest
    from palabre.mail.personal import Letterhead

    templates = Path(__file__).resolve().parents[1] / "templates"
    members = _members()
    edition = _edition(members)
    links = Links("https://palabre.example.com", Signer(["k" * 64]))
    sender = Letterhead("Bench", "palabre@example.com", templates)
    now = datetime(2026, 12, 7, 7, tzinfo=UTC)
    compose_digest(edition, members[50], 120, StreakFigures(4, 4), links, sender, now)  # warm
    samples = []
    with own_process():
        for n in range(runs):
            reader = members[n % len(members)]
            started = time.perf_counter()
            compose_digest(edition, reader, 120, StreakFigures(4, 4), links, sender, now)
            samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def stream_batch_writes(answers: int = 100, themes: int = 2) -> dict[str, Any]:
    """The score stream on one batch of `answers` new answers to `themes` themes (those
    open at once), against moto: how many items its transactions write, beside how many
    distinct members, teams, circles and themes (each theme's tally is one write)."""
    import palabre.aws
    from bench.roster_import import in_process_moto
    from palabre.store.table import to_dynamo
    from palabre_cli.local import make_stack
    from sam_moto.clock import LocalClock
    from sam_moto.events import stream_record

    rng = random.Random(3)
    members = _members()
    # each theme's answers from distinct members: one answer per (theme, member)
    per_theme = [rng.sample(members, answers // themes) for _ in range(themes)]
    chosen = [(f"theme-{t}", member) for t, drawn in enumerate(per_theme) for member in drawn]
    records = []
    for n, (theme_id, member) in enumerate(chosen):
        image = {
            **keys.answer(theme_id, member.id),
            "type": "answer",
            "theme_id": theme_id,
            "member_id": member.id,
            "points": 15,
            "circle": member.circle,
            "team": member.team,
        }
        records.append(
            stream_record(
                {
                    "eventID": str(n),
                    "eventName": "INSERT",
                    "eventVersion": "1.1",
                    "eventSource": "aws:dynamodb",
                    "awsRegion": "eu-west-1",
                    "dynamodb": {
                        "Keys": to_dynamo(keys.answer(theme_id, member.id)),
                        "NewImage": to_dynamo(image),
                        "SequenceNumber": str(1000 + n),
                        "ApproximateCreationDateTime": datetime(2026, 12, 1, tzinfo=UTC),
                        "StreamViewType": "NEW_AND_OLD_IMAGES",
                    },
                },
                arn="arn:aws:dynamodb:eu-west-1:123456789012:table/bench/stream/x",
            )
        )
    with in_process_moto():
        palabre.aws.reset()
        stack = make_stack(
            endpoint=None, clock=LocalClock(datetime(2026, 12, 1, 9, tzinfo=UTC)), log_level="ERROR"
        )
        written: Counter[str] = Counter()

        def count(model: Any, params: dict[str, Any], **_: Any) -> None:
            if model.name == "TransactWriteItems":
                written["items"] += len(params["TransactItems"])
                written["transactions"] += 1

        palabre.aws.client("dynamodb").meta.events.register(
            "provide-client-params.dynamodb.*", count
        )
        invocation = stack.runtime.invoke("ScoreStreamFunction", {"Records": records})
        if invocation.error:
            raise RuntimeError(invocation.error)
        palabre.aws.reset()
    return {
        "answers": len(chosen),
        "writes": written["items"],
        "transactions": written["transactions"],
        "members": len({m.id for _, m in chosen}),
        "teams": len({m.team for _, m in chosen}),
        "circles": len({m.circle for _, m in chosen}),
        "themes": len({t for t, _ in chosen}),
    }
