"""A roster applied in chunks (imports/chunks.py, store/roster_apply.py): staged chunk by
chunk through RosterApplyQueue, switched at once, settled; readers see the old roster or
the new one, never a mix; a chunk that crashes is retried; a newer roster settles or
abandons the apply in flight."""

from collections.abc import Mapping
from typing import Any

import pytest

from palabre.core.models import Role, member_id
from palabre.imports import chunks
from palabre.store import keys
from palabre.store.members import MemberStore, member_item
from palabre.store.table import Item, Table
from palabre.wiring import Adapters, override
from palabre_cli import demo
from sam_moto import events
from sam_moto.runtime import Invocation
from sam_moto.stack import REGION, LocalStack
from tests.functional.conftest import handlers_table, organisation_items, s3_event, table_items

ADMIN = demo.ADMIN
DOMAIN = "@demo.palabre.example"
MOVED = f"hugo.bernard{DOMAIN}"  # Bâtisseurs -> Passeurs: listed elsewhere (PROFILE#NEXT)
RENAMED = f"lea.dubois{DOMAIN}"  # a new first name: listed where she was
LEAVING = f"lucas.thomas{DOMAIN}"  # not in the new file: deactivated
JOINING = f"nina.roux{DOMAIN}"  # new, in Bâtisseurs
PIONEER = f"zoe.blanc{DOMAIN}"  # new, in a new circle: the directory changes with her
CHUNK = 2
"""members per chunk here: the five changes make three chunks"""


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks, "CHUNK_MEMBERS", CHUNK)


def next_roster(*, extra: str = "") -> bytes:
    """The demo roster with one member moved, one renamed, one gone and two new."""
    lines = demo.roster().decode().splitlines()
    changed = []
    for line in lines:
        if line.startswith(LEAVING):
            continue
        if line.startswith(MOVED):
            line = line.replace(";Bâtisseurs;", ";Passeurs;")
        if line.startswith(RENAMED):
            line = line.replace(";Léa;", ";Léa-Marie;")
        changed.append(line)
    changed += [
        f"{JOINING};Nina;Roux;Bâtisseurs;Opérations;fr;Europe/Paris;member",
        f"{PIONEER};Zoé;Blanc;Pionniers;Produit;fr;Europe/Paris;member",
    ]
    return ("\n".join(changed) + "\n" + extra).encode()


def import_roster(stack: LocalStack, name: str, data: bytes) -> dict[str, Any]:
    """The import function on the upload's notification, as S3 sends it: the chunks it
    queues wait in RosterApplyQueue (nothing drains it here)."""
    key = f"roster/{name}"
    stack.client("s3").put_object(
        Bucket=stack.uploads_bucket("roster"), Key=key, Body=data, Metadata={"uploader": ADMIN}
    )
    event = s3_event(stack, "import_upload/roster-uploaded.json", key=key, size=len(data))
    invocation = stack.runtime.invoke("ImportUploadFunction", event)
    assert invocation.error is None, invocation.error
    report: dict[str, Any] = invocation.result["reports"][key]
    return report


def run_chunk(stack: LocalStack) -> Invocation | None:
    """One message of RosterApplyQueue through RosterApplyFunction, as Lambda polls it;
    a failed one is visible again at once (its visibility timeout, passed)."""
    queue = stack.provisioned.queues["RosterApplyQueue"]
    sqs = stack.client("sqs")
    received = sqs.receive_message(
        QueueUrl=queue.url, MaxNumberOfMessages=1, AttributeNames=["All"]
    ).get("Messages", [])
    if not received:
        return None
    event = events.sqs_batch(received, arn=queue.arn, region=REGION)
    invocation = stack.runtime.invoke("RosterApplyFunction", event)
    [message] = received
    if invocation.error is None and not invocation.result["batchItemFailures"]:
        sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
    else:
        sqs.change_message_visibility(
            QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return invocation


def run_chunks(stack: LocalStack, count: int | None = None) -> list[Invocation]:
    ran: list[Invocation] = []
    while count is None or len(ran) < count:
        invocation = run_chunk(stack)
        if invocation is None:
            break
        ran.append(invocation)
    return ran


def pointer(stack: LocalStack) -> Item:
    return handlers_table(stack).get(keys.ROSTER, consistent=True) or {}


def roster_view(table: Table) -> dict[str, Any]:
    """What every reader of the roster sees: the import's roster, the admins, the
    dispatch's listings of each circle in Paris, each member by key and as a recipient,
    the directory."""
    members = MemberStore(table)
    emails = [
        *(line.split(";")[0] for line in demo.roster().decode().splitlines()[1:]),
        JOINING,
        PIONEER,
    ]
    listings = {
        f"{part}:{name}": sorted(
            i["email"]
            for i in members.page_of(f"{part}:{name}", "Europe/Paris", limit=1000, start=None)[0]
        )
        for part, names in (
            ("circle", ("Bâtisseurs", "Passeurs", "Pionniers")),
            ("team", ("Opérations",)),
            ("role", ("member", "admin")),
        )
        for name in names
    }
    directory = members.directory()
    return {
        "roster": members.roster(),
        "admins": sorted(m.email for m in members.with_role(Role.ADMIN)),
        "members": sorted(m.email for m in members.with_role(Role.MEMBER)),
        "listings": listings,
        "by key": {e: members.get(member_id(e)) for e in emails},
        "recipients": {
            e: (r.member if (r := members.recipient(member_id(e))) else None) for e in emails
        },
        "circles": sorted(directory.circles) if directory else [],
    }


def staged_items(stack: LocalStack) -> list[dict[str, Any]]:
    """The apply's traces: staged profiles, chunks, marks on profiles."""
    return [
        i
        for i in table_items(stack)
        if i["SK"]["S"] in (keys.STAGED_PROFILE,)
        or i["SK"]["S"].startswith(keys.ROSTER_CHUNKS)
        or "next_version" in i
    ]


@pytest.fixture
def demo_stack(stack: LocalStack) -> LocalStack:
    report = import_roster(stack, "demo-roster.csv", demo.roster())
    assert report["ok"], report
    run_chunks(stack)  # ten chunks of two
    return stack


def stage_renamed_admin(stack: LocalStack) -> None:
    """A roster renaming Camille (the admin), Hugo and Léa, its chunk holding Camille
    staged, the other not: the version not yet switched."""
    renamed = (
        demo.roster()
        .replace(b";Camille;Martin;", b";Camille-Anne;Martin;")
        .replace(b";Hugo;", b";Hugo-Paul;")
        .replace(";Léa;".encode(), ";Léa-Marie;".encode())
    )
    import_roster(stack, "renamed.csv", renamed)
    run_chunks(stack, 1)  # Camille's chunk staged, not the other
    assert pointer(stack)["phase"] == "staging"


def test_a_roster_in_chunks_is_seen_old_until_every_chunk_is_staged_then_new_at_once(
    demo_stack: LocalStack,
) -> None:
    """Given the demo roster, when a roster that moves, renames, removes and adds members
    is applied in three chunks, then every reader sees the old roster until the last chunk
    is staged, the new one from the switch on (before and after it settles)."""
    stack = demo_stack
    table = handlers_table(stack)
    before = roster_view(table)
    assert pointer(stack)["current"] == 1

    report = import_roster(stack, "next-roster.csv", next_roster())

    assert report["ok"] is True
    assert (report["created"], report["updated"], report["deactivated"]) == (2, 2, 1)
    assert pointer(stack)["chunks"] == 3
    [in_parts] = report["warnings"]  # "applied" is its start: the report says so
    assert " 3 " in in_parts["message"]
    run_chunks(stack, 2)  # two chunks of three staged
    assert roster_view(table) == before
    assert staged_items(stack)  # ... while the staged members are there

    run_chunks(stack, 1)  # the last chunk staged: the version switches
    switched = roster_view(table)
    assert pointer(stack)["current"] == 2
    assert any(i["SK"]["S"] == keys.STAGED_PROFILE for i in table_items(stack))  # unsettled
    assert switched != before
    roster = switched["roster"]
    assert roster[MOVED].circle == "Passeurs"
    assert roster[RENAMED].first_name == "Léa-Marie"
    assert roster[LEAVING].active is False
    assert {JOINING, PIONEER} <= set(roster)
    listings = switched["listings"]
    assert MOVED in listings["circle:Passeurs"]
    assert MOVED not in listings["circle:Bâtisseurs"]
    assert JOINING in listings["circle:Bâtisseurs"]
    assert LEAVING not in listings["circle:Bâtisseurs"]
    assert LEAVING not in switched["members"]
    assert listings["circle:Pionniers"] == [PIONEER]
    assert switched["by key"][RENAMED].first_name == "Léa-Marie"
    assert switched["recipients"][JOINING].circle == "Bâtisseurs"
    assert "pionniers" in switched["circles"]
    for listing in listings.values():
        assert len(listing) == len(set(listing))  # each member once

    run_chunks(stack)  # the settling chunks
    assert roster_view(table) == switched
    assert staged_items(stack) == []
    assert "applying" not in pointer(stack)
    profile = handlers_table(stack).get(keys.member(member_id(MOVED)))
    assert profile == member_item(switched["roster"][MOVED])


class CrashAfterStaging:
    """The table, but the chunk handler's progress mark of one chunk fails once: the
    chunk's members are written, its progress not (a timeout just then)."""

    def __init__(self, table: Table, chunk: int) -> None:
        self.table = table
        self.chunk = chunk
        self.crashed = False

    def update(self, key: Mapping[str, str], expression: str, *args: Any, **kw: Any) -> Item:
        values = args[0] if args else kw.get("values") or {}
        if (
            not self.crashed
            and expression.startswith("ADD staged")
            and values.get(":chunk") == {self.chunk}
        ):
            self.crashed = True
            raise TimeoutError("the invocation ran out of time")
        return self.table.update(key, expression, *args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.table, name)


def test_a_chunk_that_crashes_after_its_writes_is_retried_and_the_apply_ends_as_without_crash(
    demo_stack: LocalStack,
) -> None:
    """Given a roster in three chunks, when the handler of the second crashes after writing
    its members and before recording it, then its message comes back, the chunk is staged
    again (the same writes), and the roster ends as an apply without crash leaves it."""
    stack = demo_stack
    import_roster(stack, "next-roster.csv", next_roster())
    crashing = CrashAfterStaging(handlers_table(stack), chunk=1)

    with override(Adapters(table=crashing)):  # type: ignore[arg-type]
        ran = run_chunks(stack)

    assert crashing.crashed
    failed = [i for i in ran if i.error is not None or i.result["batchItemFailures"]]
    assert len(failed) == 1  # the crashed chunk, retried once
    assert staged_items(stack) == []
    assert pointer(stack)["current"] == 2
    assert "applying" not in pointer(stack)
    roster = MemberStore(handlers_table(stack)).roster()
    expected = {
        line.split(";")[0]: line for line in next_roster().decode().splitlines()[1:] if line
    }
    assert {e for e, m in roster.items() if m.active} == set(expected)
    assert roster[MOVED].circle == "Passeurs"
    assert roster[LEAVING].active is False
    for email, member in roster.items():
        # every profile as a plain put would leave it: no mark, no leftover attribute
        stored = handlers_table(stack).get(keys.member(member_id(email)))
        assert stored is not None
        assert {k: v for k, v in stored.items() if k != "expires_at"} == {
            k: v for k, v in member_item(member).items() if k != "expires_at"
        }


def test_a_newer_roster_abandons_an_apply_not_switched_and_undoes_its_staged_members(
    demo_stack: LocalStack,
) -> None:
    """Given a roster whose apply staged one chunk of three, when a newer roster is
    uploaded, then the first apply is undone (its staged members back as they were, its
    late chunks ignored) and only the newer roster is applied."""
    stack = demo_stack
    table = handlers_table(stack)
    import_roster(stack, "next-roster.csv", next_roster())
    run_chunks(stack, 1)
    newer = demo.roster() + f"{JOINING};Nina;Roux;Passeurs;Produit;en;Asia/Tokyo;member\n".encode()

    report = import_roster(stack, "newer-roster.csv", newer)

    assert report["ok"] is True
    assert (report["created"], report["updated"], report["deactivated"]) == (1, 0, 0)
    assert pointer(stack)["current"] == 3  # version 2 abandoned, never given again
    assert staged_items(stack) == []  # undone at once; the newer one had a single chunk
    run_chunks(stack)  # the abandoned apply's last two chunks come: nothing happens
    roster = MemberStore(table).roster()
    assert roster[MOVED].circle == "Bâtisseurs"
    assert roster[RENAMED].first_name == "Léa"
    assert roster[LEAVING].active is True
    assert PIONEER not in roster
    assert roster[JOINING].circle == "Passeurs"
    assert roster[JOINING].timezone == "Asia/Tokyo"
    assert staged_items(stack) == []
    directory = MemberStore(table).directory()
    assert directory is not None
    assert "pionniers" not in directory.circles
    pages = [i for i in table_items(stack) if i["SK"]["S"].startswith("DIRECTORY#")]
    head = MemberStore(table).table.get(keys.DIRECTORY) or {}
    assert all(p["SK"]["S"].startswith(f"DIRECTORY#{head['version']}#") for p in pages)


def test_a_newer_roster_settles_an_apply_already_switched_then_compares_with_it(
    demo_stack: LocalStack,
) -> None:
    """Given a roster switched but not settled, when a newer roster is uploaded, then the
    switched one is settled first and the newer one is compared with it: what the first
    changed and the newer keeps counts as unchanged."""
    stack = demo_stack
    import_roster(stack, "next-roster.csv", next_roster())
    run_chunks(stack, 3)  # every chunk staged, the settling chunks queued
    assert pointer(stack)["phase"] == "settling"

    report = import_roster(stack, "again.csv", next_roster())

    assert report["ok"] is True
    assert (report["created"], report["updated"], report["deactivated"]) == (0, 0, 0)
    run_chunks(stack)  # the settling messages, already done: nothing happens
    assert staged_items(stack) == []
    assert "applying" not in pointer(stack)
    assert pointer(stack)["current"] == 2
    assert MemberStore(handlers_table(stack)).roster()[MOVED].circle == "Passeurs"


def test_an_apply_switched_while_a_newer_roster_meant_to_abandon_it_is_settled_not_undone(
    demo_stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a roster with two chunks of three staged, read as staging by a newer
    roster's import, when its last chunk switches it before that import abandons it,
    then the import settles it instead (readers see it already): nothing is undone, and
    the newer roster is compared with it."""
    from palabre.store.roster_apply import RosterApplyStore

    stack = demo_stack
    import_roster(stack, "next-roster.csv", next_roster())
    run_chunks(stack, 2)
    stale = RosterApplyStore(handlers_table(stack)).pointer()
    assert stale.phase == "staging"
    real = RosterApplyStore.pointer
    reads: list[str] = []

    def raced(store: RosterApplyStore) -> Any:
        # the newer import's first read sees it staging; the last chunk switches it then
        if not reads:
            reads.append("stale")
            run_chunks(stack, 1)
            assert pointer(stack)["phase"] == "settling"
            return stale
        return real(store)

    monkeypatch.setattr(RosterApplyStore, "pointer", raced)

    report = import_roster(stack, "again.csv", next_roster())

    assert report["ok"] is True
    assert (report["created"], report["updated"], report["deactivated"]) == (0, 0, 0)
    monkeypatch.setattr(RosterApplyStore, "pointer", real)
    run_chunks(stack)
    assert staged_items(stack) == []
    assert pointer(stack)["current"] == 2
    roster = MemberStore(handlers_table(stack)).roster()
    assert roster[MOVED].circle == "Passeurs"
    assert roster[RENAMED].first_name == "Léa-Marie"


def test_members_who_join_in_a_chunk_get_the_open_theme_once_their_chunk_settles(
    demo_stack: LocalStack,
) -> None:
    """Given the demo organisation whose first theme went out, when a roster of several
    chunks adds members of an audience, then nothing is queued for them before the switch
    (the sender could not read them yet) and each gets the theme once settled."""
    from tests.functional.conftest import PARIS_MORNING, sent, tick

    stack = demo_stack
    stack.upload("calendar", "demo-calendar.yaml", demo.calendar(stack.clock().date()))
    tick(stack, PARIS_MORNING)
    stack.drain()
    stack.clear_mail()
    import_roster(stack, "next-roster.csv", next_roster())

    run_chunks(stack, 2)
    send_queue = stack.provisioned.queues["SendQueue"].url
    waiting = stack.client("sqs").get_queue_attributes(
        QueueUrl=send_queue, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert waiting["Attributes"]["ApproximateNumberOfMessages"] == "0"
    run_chunks(stack)
    stack.drain()

    to = [str(m["To"]) for m in sent(stack) if not str(m["Subject"]).startswith("Import")]
    assert sorted(to) == [JOINING, PIONEER]  # once each; the others had it already


def test_a_roster_over_50_mb_is_refused_unread_and_changes_nothing(demo_stack: LocalStack) -> None:
    """Given the demo roster, when a roster file of 50 MB and one byte is uploaded, then it
    is refused from its size alone, the report says the limit, and nothing changes."""
    from palabre.core.i18n import translations
    from tests.conftest import TEMPLATES

    stack = demo_stack
    before = organisation_items(stack)
    data = b"email;circle;team\n" + b"x" * (50 * 1024 * 1024 - 17)
    assert len(data) == 50 * 1024 * 1024 + 1

    report = import_roster(stack, "huge.csv", data)

    french = translations(TEMPLATES, "fr").gettext(
        "The file is larger than %(limit)s MB; split it."
    )
    assert report["ok"] is False
    assert [e["message"] for e in report["errors"]] == [french % {"limit": 50}]
    # (but the uploads' history, which records the refused file)
    assert [i for i in organisation_items(stack) if i["SK"]["S"] != "LOCK#import-roster"] == [
        i for i in before if i["SK"]["S"] != "LOCK#import-roster"
    ]


def generated_roster(count: int) -> bytes:
    lines = [demo.roster().decode().splitlines()[0]]
    lines += [
        f"manager{n:06d}@big.example;Prénom{n};Nom{n};Cercle {n // 12:05d};Équipe {n % 40:02d};"
        f"{'fr' if n % 3 else 'en'};{'Europe/Paris' if n % 5 else 'Asia/Tokyo'};"
        f"{'admin' if n == 0 else 'member'}"
        for n in range(count)
    ]
    return ("\n".join(lines) + "\n").encode()


ROWS = 1_200
"""a roster of many chunks through the whole upload path (`make bench` applies 5,000)"""


def test_a_large_roster_uploaded_is_applied_end_to_end_through_its_chunks(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given an empty organisation, when a roster of 1,200 generated rows is uploaded as
    an admin would (the stack drains every queue), then every member is listed, once."""
    monkeypatch.setattr(chunks, "CHUNK_MEMBERS", 500)  # as deployed: 3 chunks
    data = generated_roster(ROWS)

    result = stack.upload("roster", "big.csv", data, {"uploader": ADMIN})

    assert result["ok"] is True, result
    assert result["created"] == ROWS
    members = MemberStore(handlers_table(stack))
    roster = members.roster()
    assert len(roster) == ROWS
    assert all(m.active for m in roster.values())
    paris, page_end = members.page_of("team:Équipe 07", "Europe/Paris", limit=1000, start=None)
    assert page_end is None
    assert (
        len(paris)
        == len({i["email"] for i in paris})
        == sum(1 for n in range(7, ROWS, 40) if n % 5)
    )
    assert staged_items(stack) == []
    assert "applying" not in pointer(stack)


def test_a_pause_while_a_roster_is_staged_tells_the_admins_of_the_roster_readers_see(
    demo_stack: LocalStack,
) -> None:
    """Given a roster that renames the admin Camille, staged but not switched, when
    bounces pause sending, then the admins are told under the roster still current (the
    feedback function reads the roster's version, as its role allows)."""
    import json

    from palabre.core.deliverability import Figures
    from palabre.store.sending import SendingHealth
    from palabre.store.table import DynamoTable
    from tests.functional.conftest import sent

    stack = demo_stack
    stage_renamed_admin(stack)
    camille = handlers_table(stack).get(keys.member(member_id(ADMIN)))
    assert camille is not None
    assert "next_version" in camille
    sending = DynamoTable(stack.client("dynamodb"), stack.provisioned.tables["SendingTable"])
    SendingHealth(sending).count(stack.clock(), Figures(sends=1000))
    before = len(sent(stack))
    bounced = [{"emailAddress": f"gone{n}@example.com"} for n in range(41)]
    event = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": bounced},
    }

    [trigger] = [t for t in stack.provisioned.topic_triggers if t.function == "SesFeedbackFunction"]
    notification = {
        "Type": "Notification",
        "MessageId": "0b1f6e8a-0000-4000-8000-000000000001",
        "TopicArn": stack.outputs["MailFeedbackTopicArn"],
        "Message": json.dumps(event),
        "Timestamp": stack.clock().isoformat(),
    }

    ran = [
        stack.runtime.invoke(
            "SesFeedbackFunction",
            events.sns_notification(notification, subscription_arn=trigger.subscription_arn),
        )
    ]

    assert [i.error for i in ran] == [None]
    told = sent(stack)[before:]
    assert ADMIN in {str(m["To"]) for m in told}
    assert not any("Camille-Anne" in m.get_body(("plain",)).get_content() for m in told)
    assert pointer(stack)["phase"] == "staging"  # the pause came while it was staged


def test_people_erased_while_a_roster_is_applied_are_not_written_back(
    demo_stack: LocalStack,
) -> None:
    """Given a roster whose staged chunks hold a new member and one who moves, when both
    are erased (GDPR Art. 17) before the apply ends, then their staged profiles go with
    the erasure and the settling chunks do not write them back."""
    stack = demo_stack
    import_roster(stack, "next-roster.csv", next_roster())
    run_chunks(stack, 2)  # the new members, then the moved and the renamed, staged
    table = handlers_table(stack)
    erase(stack, JOINING, MOVED)
    assert table.get(keys.staged_member(member_id(MOVED))) is None

    run_chunks(stack)

    for address in (JOINING, MOVED):
        assert table.get(keys.member(member_id(address)), consistent=True) is None
        assert table.get(keys.staged_member(member_id(address)), consistent=True) is None
    roster = MemberStore(table).roster()
    assert JOINING not in roster
    assert MOVED not in roster
    assert roster[PIONEER].circle == "Pionniers"
    assert staged_items(stack) == []


def test_an_admin_whose_profile_is_staged_opens_their_space_under_the_roster_readers_see(
    demo_stack: LocalStack,
) -> None:
    """Given a roster that renames the admin Camille, staged but not switched, when she
    opens her admin space, then it opens (its function reads the roster's version, as its
    role allows), under her current name."""
    from tests.functional.admin import admin_get, admin_path

    stack = demo_stack
    stage_renamed_admin(stack)

    status, page = admin_get(stack, admin_path(stack, ADMIN))

    assert status == 200
    assert "Camille-Anne" not in page


def roster_without(*addresses: str) -> bytes:
    return "".join(
        line
        for line in demo.roster().decode().splitlines(keepends=True)
        if not line.startswith(addresses)
    ).encode()


QUARTER = [f"{name}{DOMAIN}" for name in ("gabriel.richard", "chloe.robert", "manon.petit")]


def erase(stack: LocalStack, *addresses: str) -> None:
    from palabre.store.privacy import PrivacyStore

    privacy = PrivacyStore(handlers_table(stack))
    for address in addresses:
        privacy.erase(privacy.holdings(member_id(address), stack.clock().date()), stack.clock())


ERASED_ADMIN = QUARTER[0]
ADMINS = (ADMIN, f"alice.david{DOMAIN}")


def only_admin_erased(stack: LocalStack) -> bytes:
    """A roster whose only admin row names a person erased meanwhile: refused."""
    erase(stack, ERASED_ADMIN)
    return "".join(
        line.replace(";member", ";admin") if line.startswith(ERASED_ADMIN) else line
        for line in roster_without(*ADMINS).decode().splitlines(keepends=True)
    ).encode()


@pytest.mark.parametrize(
    ("newer", "status"),
    [
        (lambda stack: roster_without(LEAVING, *QUARTER, MOVED), "needs_confirmation"),
        (only_admin_erased, "rejected"),
    ],
    ids=["held by the guard", "refused: no admin left"],
)
def test_a_roster_held_or_refused_leaves_the_apply_in_flight_to_end(
    demo_stack: LocalStack, newer: Any, status: str
) -> None:
    """Given a roster reported applied whose apply staged one chunk of three, when a newer
    roster is dropped that deactivates more than MaxDeactivation allows (unconfirmed), or
    whose only admin was erased, then it is held or refused and the apply in flight is not
    abandoned: its last chunks come and the first roster is applied, as its report said."""
    stack = demo_stack
    first = import_roster(stack, "next-roster.csv", next_roster())
    assert first["status"] == "applied"
    run_chunks(stack, 1)

    held = import_roster(stack, "newer.csv", newer(stack))

    assert held["status"] == status
    assert pointer(stack)["applying"] == 2  # still in flight
    run_chunks(stack)
    roster = MemberStore(handlers_table(stack)).roster()
    assert pointer(stack)["current"] == 2
    assert "applying" not in pointer(stack)
    assert roster[MOVED].circle == "Passeurs"
    assert roster[LEAVING].active is False
    assert roster[PIONEER].circle == "Pionniers"
    assert staged_items(stack) == []


def test_people_erased_while_staged_stay_erased_when_a_newer_roster_abandons_the_apply(
    demo_stack: LocalStack,
) -> None:
    """Given a roster whose apply staged a member who moves (and one who joins), when both
    are erased (GDPR Art. 17) and a newer roster that lists them abandons the apply, then
    undoing it does not put their old profiles back: they stay erased, and the newer
    roster's report lists their rows as skipped."""
    stack = demo_stack
    table = handlers_table(stack)
    import_roster(stack, "next-roster.csv", next_roster())
    run_chunks(stack, 2)  # the new members, then the moved and the renamed, staged
    erase(stack, JOINING, MOVED)
    newer = (
        demo.roster() + f"{JOINING};Nina;Roux;Passeurs;Produit;fr;Europe/Paris;member\n".encode()
    )

    report = import_roster(stack, "newer-roster.csv", newer)

    assert report["ok"] is True
    assert sorted(s["value"] for s in report["skipped"]) == sorted([JOINING, MOVED])
    for address in (JOINING, MOVED):
        assert table.get(keys.member(member_id(address)), consistent=True) is None
        assert table.get(keys.staged_member(member_id(address)), consistent=True) is None
    roster = MemberStore(table).roster()
    assert JOINING not in roster
    assert MOVED not in roster
    assert roster[RENAMED].first_name == "Léa"  # undone, as it was
    assert staged_items(stack) == []


def test_people_erased_before_their_chunk_is_staged_are_never_staged(
    demo_stack: LocalStack,
) -> None:
    """Given a roster planned in three chunks, none staged yet, when a member who moves and
    one who joins are erased, then staging writes nothing of them: readers never see
    them, not even between the switch and the settling."""
    stack = demo_stack
    table = handlers_table(stack)
    import_roster(stack, "next-roster.csv", next_roster())
    erase(stack, JOINING, MOVED)

    run_chunks(stack, 3)  # every chunk staged: switched, not settled
    assert pointer(stack)["phase"] == "settling"

    view = roster_view(table)
    for address in (JOINING, MOVED):
        assert address not in view["roster"]
        assert view["by key"][address] is None
        assert table.get(keys.member(member_id(address)), consistent=True) is None
    assert view["roster"][PIONEER].circle == "Pionniers"
    run_chunks(stack)
    assert JOINING not in MemberStore(table).roster()
    assert staged_items(stack) == []


def test_the_imports_page_follows_a_roster_applied_in_parts_until_it_is_whole(
    demo_stack: LocalStack,
) -> None:
    """Given a roster applied in three parts (its report already says "applied"), when an
    animator opens the space's imports page at each step, then it says how far the apply
    is — parts ready while everyone sees the former roster, the new one in place while it
    tidies up — and nothing once it is whole."""
    from html import unescape

    from tests.functional.admin import admin_get, admin_path

    stack = demo_stack
    space = admin_path(stack, ADMIN)

    def progress() -> str:
        status, page = admin_get(stack, f"{space}/imports")
        assert status == 200
        found = page.split('id="roster-apply"')
        return unescape(found[1].split("</div>")[0]) if len(found) > 1 else ""

    assert progress() == ""
    report = import_roster(stack, "next-roster.csv", next_roster())
    assert report["status"] == "applied"

    # (in the demo admin's French)
    assert "parties prêtes\u00a0: 0 sur 3" in progress()
    assert "Chacun voit encore la liste précédente" in progress()
    run_chunks(stack, 2)
    assert "parties prêtes\u00a0: 2 sur 3" in progress()
    assert f"{space}/deliverability#waiting" in progress()
    run_chunks(stack, 1)  # the last part ready: switched
    assert "La nouvelle liste de membres est en place" in progress()
    run_chunks(stack)
    assert progress() == ""
