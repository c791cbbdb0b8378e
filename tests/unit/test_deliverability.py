"""The deliverability guard: rolling 24-hour rates of permanent bounces and complaints,
with a minimum volume, pause new sends once; a resume forgets what came before it."""

from datetime import UTC, datetime, timedelta

import pytest

from palabre.bounces.feedback import Suppression
from palabre.bounces.guard import watch
from palabre.core.deliverability import MIN_SENDS, Figures, too_many
from palabre.store.sending import SendingHealth
from palabre_cli.main import sending_command
from tests.fakes import FakeTable

NOON = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
BOUNCE = Suppression("a@example.com", "bounce", "550 5.1.1 user unknown")
COMPLAINT = Suppression("b@example.com", "complaint", "abuse")


def sent(health: SendingHealth, count: int, at: datetime = NOON) -> None:
    health.count(at, Figures(sends=count))


@pytest.mark.parametrize(
    ("figures", "reason"),
    [
        (Figures(sends=3, bounces=1), None),  # 33 %, but three emails say nothing
        (Figures(sends=MIN_SENDS - 1, bounces=50), None),
        (Figures(sends=1000, bounces=40), None),  # 4 %: the limit, not past it
        (Figures(sends=1000, bounces=41), "bounces"),
        (Figures(sends=10_000, complaints=8), None),  # 0.08 %
        (Figures(sends=10_000, complaints=9), "complaints"),
    ],
)
def test_rates_pause_past_their_limit_and_only_over_enough_sends(
    figures: Figures, reason: str | None
) -> None:
    assert too_many(figures) == reason


def test_a_bounce_rate_past_four_percent_pauses_sends_once() -> None:
    health = SendingHealth(FakeTable())
    sent(health, 1000)
    for _ in range(40):
        assert watch(health, [BOUNCE], NOON) is None

    pause = watch(health, [BOUNCE], NOON)  # the 41st of 1,000

    assert pause is not None
    assert pause.reason == "bounces"
    assert pause.figures == Figures(sends=1000, bounces=41)
    stored = health.last_pause()
    assert stored is not None
    assert stored.active
    assert watch(health, [BOUNCE], NOON) is None  # paused already: nothing again


def test_only_the_last_24_hours_count() -> None:
    health = SendingHealth(FakeTable())
    sent(health, 1000, NOON - timedelta(hours=24))  # a day ago: out of the window
    health.count(NOON - timedelta(hours=24), Figures(bounces=100))
    sent(health, 1000, NOON - timedelta(hours=23))

    assert watch(health, [BOUNCE], NOON) is None
    assert health.last_day(NOON) == Figures(sends=1000, bounces=1)


def test_transient_bounces_and_deliveries_count_nothing() -> None:
    table = FakeTable()
    assert watch(SendingHealth(table), [], NOON) is None
    assert table.writes == []


def test_a_resume_ends_the_pause_and_forgets_what_came_before_it() -> None:
    health = SendingHealth(FakeTable())
    sent(health, 1000)
    health.count(NOON, Figures(bounces=60))
    assert watch(health, [BOUNCE], NOON) is not None

    status = sending_command(health, "resume", "ops@example.com", NOON)

    assert status["paused"] is False
    assert status["resumed"] is True
    assert status["pause"]["resumed_by"] == "ops@example.com"
    # The bounces still arriving for emails sent before the resume pause nothing...
    later = NOON + timedelta(minutes=20)
    assert watch(health, [BOUNCE], later) is None
    # ... but a new hour's own bounces do, and a second resume finds nothing to resume
    next_hour = NOON + timedelta(hours=1)
    sent(health, 500, next_hour)
    health.count(next_hour, Figures(bounces=25))
    assert watch(health, [COMPLAINT], next_hour) is not None
    assert sending_command(health, "status", "x", next_hour)["paused"] is True
    assert sending_command(health, "resume", "x", next_hour)["resumed"] is True
    assert sending_command(health, "resume", "x", next_hour)["resumed"] is False


def test_a_resume_link_resumes_its_own_pause_never_a_later_one() -> None:
    from palabre.bounces.resuming import ResumeOutcome, Resuming
    from palabre.core.links import RESUME_LIFETIME, Links
    from palabre.core.models import Member, Role
    from palabre.core.tokens import InvalidToken, Signer
    from palabre.store.members import MemberStore

    # Given an admin, a member, a departed admin, and a pause with its link for each
    table, signer = FakeTable(), Signer(["k" * 32])
    admin, member, gone = (
        Member(email=f"{n}@example.com", locale="fr", timezone="Europe/Paris", role=r, active=a)
        for n, r, a in (
            ("ad", Role.ADMIN, True),
            ("me", Role.MEMBER, True),
            ("go", Role.ADMIN, False),
        )
    )
    MemberStore(table).save([admin, member, gone])
    health = SendingHealth(FakeTable())
    sent(health, 1000)
    health.count(NOON, Figures(bounces=60))
    first = watch(health, [BOUNCE], NOON)
    assert first is not None
    links, resuming = (
        Links("https://p.example", signer),
        Resuming(MemberStore(table), health, signer),
    )

    def token(who: Member, since: str, issued: datetime = NOON) -> str:
        return links.resume(since, who.id, issued).rsplit("/", 1)[1]

    # Only an active admin's link, within its week, opens
    for bad, at in [
        (token(member, first.since), NOON),
        (token(gone, first.since), NOON),
        (token(admin, first.since), NOON + RESUME_LIFETIME + timedelta(seconds=1)),
    ]:
        with pytest.raises(InvalidToken):
            resuming.open(bad, at)
    view = resuming.open(token(admin, first.since), NOON)
    assert view.outcome() is None
    assert health.last_pause() == first  # opening wrote nothing

    # When the pause is resumed (by the command), then sends pause again
    assert health.resume(NOON, "ops@example.com")
    next_hour = NOON + timedelta(hours=1)
    sent(health, 500, next_hour)
    health.count(next_hour, Figures(bounces=25))
    second = watch(health, [BOUNCE], next_hour)
    assert second is not None

    # Then the first pause's link says so and resumes nothing; the second's resumes
    old = resuming.open(token(admin, first.since), next_hour)
    assert resuming.resume(old, next_hour) is ResumeOutcome.LATER
    assert health.resume(next_hour, admin.id, since=first.since) is False
    assert health.last_pause() == second
    new = resuming.open(token(admin, second.since), next_hour)
    assert resuming.resume(new, next_hour) is ResumeOutcome.RESUMED
    resumed = health.last_pause()
    assert resumed is not None
    assert resumed.resumed_by == admin.id
    again = resuming.open(token(admin, second.since), next_hour)
    assert resuming.resume(again, next_hour) is ResumeOutcome.NOT_PAUSED
    assert health.last_pause() == resumed


def test_a_pause_is_noticed_by_one_claim_given_back_when_its_email_fails() -> None:
    from palabre.bounces.guard import notice_due

    health = SendingHealth(FakeTable())
    sent(health, 1000)
    health.count(NOON, Figures(bounces=60))
    pause = watch(health, [BOUNCE], NOON)
    assert pause is not None
    assert notice_due(health, pause) == pause
    # One claim: a concurrent notification emails nobody
    assert health.claim_notice(pause.since, NOON)
    assert not health.claim_notice(pause.since, NOON)
    assert notice_due(health, None) is None
    # A failed email gives it back: Lambda's retry (sends paused already) claims it again
    health.release_notice(pause.since)
    assert notice_due(health, None) is not None
    assert health.claim_notice(pause.since, NOON)
    # Once resumed, nothing is due and nothing can be claimed
    health.release_notice(pause.since)
    assert health.resume(NOON, "ops@example.com")
    assert notice_due(health, None) is None
    assert not health.claim_notice(pause.since, NOON)
