"""The admin space's deliverability: the last seven days' rates from the hourly counts,
the suppressed addresses with who they are, and lifting a suppression — a bounce on the
animator's word, a complaint only with the person's consent ticked."""

from datetime import UTC, datetime, timedelta

import pytest

from palabre.admin.deliverability import Deliverability, Lifted
from palabre.core.deliverability import Figures
from palabre.core.i18n import Translatable
from palabre.core.models import Member
from palabre.core.parked import ParkedKind, kind_of, listed, waiting
from palabre.store.members import MemberStore
from palabre.store.sending import SendingHealth
from tests.fakes import FakeTable

NOW = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
ANA = "ana@example.com"


def deliverability() -> tuple[Deliverability, MemberStore, SendingHealth]:
    members, health = MemberStore(FakeTable()), SendingHealth(FakeTable())
    return Deliverability(members, health), members, health


def test_the_rates_cover_this_hour_and_the_167_before() -> None:
    """Given sends, bounces and complaints counted over eight days
    When the admin space reads the rates
    Then only the last seven days count: this hour and the 167 before it."""
    page, _, health = deliverability()
    health.count(NOW - timedelta(hours=168), Figures(sends=1000, bounces=900))  # 7 days ago
    health.count(NOW - timedelta(hours=167), Figures(sends=100, bounces=2))
    health.count(NOW - timedelta(days=3), Figures(sends=300, complaints=1))
    health.count(NOW, Figures(sends=100, bounces=1))

    rates = page.rates(NOW)

    assert rates.figures == Figures(sends=500, bounces=3, complaints=1)
    assert rates.figures.bounce_rate == pytest.approx(0.006)


def test_hourly_counts_are_kept_eight_days() -> None:
    """Given a count written now
    Then it expires eight days later: a week of rates, and a day for the guard's window."""
    table = FakeTable()
    SendingHealth(table).count(NOW, Figures(sends=1))
    [item] = table.items.values()
    assert item["expires_at"] == int((NOW + timedelta(days=8)).timestamp())


def test_suppressed_addresses_are_listed_newest_first_with_their_member() -> None:
    page, members, _ = deliverability()
    members.save(
        [
            Member(
                email=ANA,
                first_name="Ana",
                last_name="Lima",
                circle="C",
                team="T",
                locale="fr",
                timezone="Europe/Paris",
            )
        ]
    )
    members.suppress(ANA, "bounce", "550 user unknown", NOW - timedelta(days=2))
    members.suppress("stranger@example.com", "complaint", "abuse", NOW)

    listed_now, older = page.suppressed()
    assert older == 0

    assert [(s.email, s.reason) for s in listed_now] == [
        ("stranger@example.com", "complaint"),
        (ANA, "bounce"),
    ]
    assert listed_now[0].member is None
    assert listed_now[1].member is not None
    assert listed_now[1].member.first_name == "Ana"
    assert listed_now[1].detail == "550 user unknown"


def test_a_bounced_address_is_lifted_on_the_animators_word() -> None:
    page, members, _ = deliverability()
    members.suppress(ANA, "bounce", "mailbox full", NOW)
    shown = NOW.isoformat()

    assert page.lift(" Ana@Example.com ", shown, consented=False) == (Lifted.LIFTED, "bounce")
    assert members.suppressed([ANA]) == set()
    # Clicked twice: nothing more to do, said so
    assert page.lift(ANA, shown, consented=False) == (Lifted.NOT_SUPPRESSED, "")


def test_a_complaint_is_lifted_only_with_consent_ticked() -> None:
    page, members, _ = deliverability()
    members.suppress(ANA, "complaint", "abuse", NOW)

    with pytest.raises(Translatable):
        page.lift(ANA, NOW.isoformat(), consented=False)
    assert members.suppressed([ANA]) == {ANA}

    assert page.lift(ANA, NOW.isoformat(), consented=True) == (Lifted.LIFTED, "complaint")
    assert members.suppressed([ANA]) == set()


def test_an_address_that_bounced_again_since_the_page_was_shown_stays_suppressed() -> None:
    page, members, _ = deliverability()
    members.suppress(ANA, "bounce", "mailbox full", NOW - timedelta(hours=1))
    shown = (NOW - timedelta(hours=1)).isoformat()
    members.suppress(ANA, "bounce", "user unknown", NOW)  # it bounced again meanwhile

    assert page.lift(ANA, shown, consented=False) == (Lifted.CHANGED, "bounce")
    assert members.suppressed([ANA]) == {ANA}


def test_what_is_not_an_address_is_refused() -> None:
    page, _, _ = deliverability()
    with pytest.raises(Translatable):
        page.lift("not an address", NOW.isoformat(), consented=False)


@pytest.mark.parametrize(
    ("name", "count", "words"),
    [
        ("score", 1, "1 score update is waiting"),
        ("score", 3, "3 score updates are waiting"),
        ("send", 1, "1 email is waiting"),
        ("send", 2, "2 emails are waiting"),
        ("import", 1, "1 file import is waiting"),
        ("schedule", 2, "2 scheduled tasks are waiting"),
        ("feedback", 1, "1 bounce or complaint notice is waiting"),
        ("inbound", 2, "2 replies by email are waiting"),
        ("mystery", 2, "2 messages are waiting"),
    ],
)
def test_parked_work_is_said_in_words(name: str, count: int, words: str) -> None:
    import gettext

    assert waiting(kind_of(name), count, gettext.NullTranslations()) == words


def test_queues_are_listed_emails_and_scores_first_unknown_last() -> None:
    names = ["mystery", "feedback", "score", "send", "import"]
    assert sorted(names, key=listed) == ["send", "score", "import", "feedback", "mystery"]
    assert kind_of("score") is ParkedKind.SCORE


def test_a_page_lists_the_newest_suppressed_addresses_and_says_others_exist() -> None:
    """Given 205 suppressed addresses
    Then the page's list holds the 200 newest, and says older ones are left out."""
    page, members, _ = deliverability()
    for n in range(205):
        members.suppress(f"a{n:03d}@example.com", "bounce", "", NOW + timedelta(minutes=n))

    shown, older = page.suppressed()

    assert (len(shown), older) == (200, True)
    assert shown[0].email == "a204@example.com"
    assert shown[-1].email == "a005@example.com"


def test_the_newest_suppressed_addresses_are_listed_and_the_older_only_said() -> None:
    """Given five suppressed addresses, When the page lists three, Then it lists the three
    newest, newest first, and says older ones exist, having read four items at most."""
    page, members, _ = deliverability()
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    for n in range(5):
        members.suppress(f"a{n}@example.org", "bounce", "550", start + timedelta(hours=n))
    reads: list[int] = []
    query = members.table.query

    def counted(*args: object, **kwargs: object) -> object:
        found = list(query(*args, **kwargs))  # type: ignore[arg-type]
        reads.append(len(found))
        return iter(found)

    members.table.query = counted  # type: ignore[method-assign]
    listed, older = page.suppressed(shown=3)

    assert [s.email for s in listed] == ["a4@example.org", "a3@example.org", "a2@example.org"]
    assert older
    assert reads == [4]
    assert page.suppressed(shown=5)[1] is False
