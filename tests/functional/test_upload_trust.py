"""Who may change the roster and the calendar: only an active admin of the current roster
(or, before the first roster, the AdminAddress parameter). Anyone else's file changes
nothing, the active admins hear of it, and no report leaves the roster."""

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from moto.sts.models import sts_backends

from palabre_cli import demo
from palabre_cli.main import main
from sam_moto.stack import LocalStack
from tests.functional.conftest import (
    make_stack,
    mocked_aws,
    organisation_items,
    s3_event,
    sent,
)
from tests.functional.test_import_upload import import_file, put

ADMINS = ["alice.david@demo.palabre.example", "camille.martin@demo.palabre.example"]
HUGO = "hugo.bernard@demo.palabre.example"  # a plain member
OUTSIDER = "boss@elsewhere.example"
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def org() -> Iterator[LocalStack]:
    """The demo roster, imported by its admin as the first roster (AdminAddress is the
    demo's admin on the local stack). The tests here change nothing (it is the point)."""
    with pytest.MonkeyPatch.context() as env, mocked_aws(env):
        stack = make_stack()
        assert import_file(stack, "roster/demo-roster.csv", demo.roster(), demo.ADMIN)["ok"]
        yield stack


@pytest.fixture
def before(org: LocalStack) -> list[dict[str, object]]:
    org.drain()  # what the local stack's own notifications of earlier files would run
    org.clear_mail()
    return organisation_items(org)


def text_of(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    return plain.get_content(), html.get_content()


def hugo_as_admin() -> bytes:
    lines = demo.roster().decode().splitlines(keepends=True)
    return "".join(
        line.replace(";member", ";admin") if line.startswith(HUGO) else line for line in lines
    ).encode()


def test_a_plain_member_named_as_uploader_changes_nothing_and_the_admins_are_told(
    org: LocalStack, before: list[dict[str, object]]
) -> None:
    # Given a roster that makes Hugo, a plain member, an admin, naming him as its uploader
    roster = hugo_as_admin()
    assert roster != demo.roster()

    report = import_file(org, "roster/promotion.csv", roster, uploader=HUGO)

    # Then nothing is written, and the two active admins (not Hugo) are told who and why
    assert report["ok"] is False
    assert report["created"] == report["updated"] == report["deactivated"] == 0
    assert "n'est pas admin" in report["errors"][0]["message"]
    assert organisation_items(org) == before
    mails = sent(org)
    assert sorted(m["To"] for m in mails) == ADMINS
    assert mails[0]["Subject"] == "Import Palabre de promotion.csv\u00a0: refusé, rien n'a changé"
    plain, html = text_of(mails[0])
    assert HUGO in plain
    assert HUGO in html
    assert "Seul un admin actif" in plain


def test_an_outside_uploader_hears_nothing_and_no_subject_is_theirs_to_choose(
    org: LocalStack, before: list[dict[str, object]]
) -> None:
    # Given a file whose name is a message, from an address outside the roster
    key = f"calendar/Your invoice is overdue {HOSTILE}.yaml"
    report = import_file(org, key, demo.calendar(org.clock().date()), uploader=OUTSIDER)

    # Then nothing is imported, and only the roster's admins get mail: escaped, on one line
    assert report["ok"] is False
    assert organisation_items(org) == before
    mails = sent(org)
    assert sorted(m["To"] for m in mails) == ADMINS
    assert all(OUTSIDER not in m["To"] for m in mails)
    plain, html = text_of(mails[0])
    assert OUTSIDER in plain
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_file_that_names_no_uploader_is_refused(
    org: LocalStack, before: list[dict[str, object]]
) -> None:
    report = import_file(org, "roster/demo-roster.csv", hugo_as_admin())

    assert report["ok"] is False
    assert "ne dit pas qui" in report["errors"][0]["message"]
    assert organisation_items(org) == before
    assert sorted(m["To"] for m in sent(org)) == ADMINS


def test_a_roster_that_names_no_admin_is_refused_with_a_clear_report(
    org: LocalStack, before: list[dict[str, object]]
) -> None:
    # Given the admin's own roster, where every admin has become a member
    no_admin = demo.roster().replace(b";admin\n", b";member\n")

    report = import_file(org, "roster/demo-roster.csv", no_admin, uploader=demo.ADMIN)

    assert report["ok"] is False
    assert report["errors"][0]["message"].startswith("L'annuaire ne nomme aucun admin")
    assert organisation_items(org) == before
    [mail] = sent(org)
    assert mail["To"] == demo.ADMIN


# (A carriage return in a key is not here: moto's notification turns it into a line
# feed. tests/unit/test_text.py holds one_line to every such character.)
@pytest.mark.parametrize(
    "name",
    [
        "effectifs\nBcc: x@elsewhere.example.csv",
        "effectifs\u2028suite.csv",
        "effectifs\u2029suite.csv",
        "effectifs\u202evsc.exe.csv",
        "effectifs\t\u0085\u200b.csv",
        "e" * 900 + ".csv",
    ],
)
def test_a_file_name_reaches_the_subject_on_one_line_and_never_parks_the_event(
    org: LocalStack, before: list[dict[str, object]], name: str
) -> None:
    key = f"roster/{name}"
    put(org, key, demo.roster(), demo.ADMIN)
    event = s3_event(org, "import_upload/roster-uploaded.json", key=key, size=len(demo.roster()))

    invocation = org.invoke_async("ImportUploadFunction", event)

    assert invocation.error is None, invocation.error
    assert invocation.result["reports"][key]["unchanged"] == 20
    [mail] = sent(org)
    subject = mail["Subject"]
    assert subject.startswith("Import Palabre de effectifs") or subject.startswith(
        "Import Palabre de eeee"
    )
    assert not set(subject) & {"\n", "\r", "\t", "\u2028", "\u2029", "\u202e", "\u0085", "\u200b"}
    assert len(subject) < 130
    assert "Bcc" not in mail or mail["Bcc"] is None
    failures = org.provisioned.queues["ImportFailureQueue"].url
    parked = org.client("sqs").receive_message(QueueUrl=failures)
    assert "Messages" not in parked, parked["Messages"][0]["Body"][:3000]


def test_the_local_stack_uploads_as_the_first_active_admin_when_none_is_named(
    org: LocalStack, before: list[dict[str, object]]
) -> None:
    # The console, curl and the demo upload without an uploader: the stack names one
    report = org.upload("roster", "demo-roster.csv", demo.roster())

    assert (report["ok"], report["unchanged"]) == (True, 20)
    [mail] = sent(org)
    assert mail["To"] in ADMINS


def test_palabre_upload_writes_as_the_admin_upload_role(
    org: LocalStack, before: list[dict[str, object]], tmp_path: Path
) -> None:
    roster = tmp_path / "effectifs.csv"
    roster.write_bytes(demo.roster())
    role = "arn:aws:iam::123456789012:role/palabre-AdminUploadRole"
    bucket = org.uploads_bucket("roster")
    argv = ["upload", str(roster), "--kind", "roster", "--bucket", bucket, "--role-arn", role]

    assert main([*argv, "--uploader", demo.ADMIN, "--no-wait"]) == 0

    head = org.client("s3").head_object(Bucket=bucket, Key="roster/effectifs.csv")
    assert head["Metadata"] == {"uploader": demo.ADMIN}
    # the upload ran as a session of the role (the one the bucket policy lets write)
    [session] = [
        s for s in sts_backends["123456789012"]["global"].assumed_roles if s.role_arn == role
    ]
    assert session.session_name == "palabre-upload"
