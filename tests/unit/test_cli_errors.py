"""`palabre` on ordinary mistakes: a usage error on one line and exit 2, no traceback."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from palabre_cli.main import main
from tests.unit.examples import CORPUS

ROSTER = CORPUS / "valid" / "roster.csv"


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    # argparse's own shape: the usage, then the error on one line
    lines = err.strip().splitlines()
    assert lines[0].startswith("usage: palabre ")
    assert lines[-1].startswith("palabre ")
    return lines[-1]


def test_a_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "nope.csv"

    error = _refused(["validate", str(missing), "--kind", "roster"], capsys)

    assert error == f"palabre validate: error: argument file: {missing}: no such file"


def test_a_directory_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    error = _refused(["upload", str(tmp_path), "--kind", "roster", "--no-wait"], capsys)

    assert error == f"palabre upload: error: argument file: {tmp_path} is a directory, not a file"


def test_a_missing_roster_to_check_against_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    argv = ["validate", str(ROSTER), "--kind", "calendar", "--roster", str(tmp_path / "r.csv")]

    error = _refused(argv, capsys)

    assert error.startswith("palabre validate: error: argument --roster: ")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "localtime", "Factory"])
def test_an_unknown_timezone_is_a_usage_error(zone: str, capsys: pytest.CaptureFixture) -> None:
    error = _refused(["validate", str(ROSTER), "--kind", "roster", "--timezone", zone], capsys)

    assert error == (
        f"palabre validate: error: argument --timezone: unknown timezone {zone!r}; "
        "use an IANA name such as Europe/Paris"
    )


def test_a_timezone_is_read_as_the_roster_reads_it(capsys: pytest.CaptureFixture) -> None:
    code = main(["validate", str(ROSTER), "--kind", "roster", "--timezone", "utc", "--json"])

    assert code == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 4


@pytest.mark.parametrize(
    ("clock_start", "problem"),
    [
        ("garbage", "'garbage' (or CLOCK_START) is not an ISO-8601 instant"),
        ("2026-11-30T08:00:00", "'2026-11-30T08:00:00' (or CLOCK_START) needs an offset"),
    ],
)
def test_a_bad_clock_start_is_a_usage_error_before_the_stack_starts(
    clock_start: str, problem: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("CLOCK_START", clock_start)

    error = _refused(["local"], capsys)

    assert error.startswith(f"palabre local: error: argument --clock-start: {problem}")


def test_a_bad_port_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("PORT", "http")

    error = _refused(["local"], capsys)

    assert error == "palabre local: error: argument --port: invalid int value: 'http'"


def test_clock_start_is_read_with_its_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    started: dict[str, object] = {}

    def launch(**options: object) -> None:
        started.update(options)
        raise SystemExit(0)  # stop before serving

    monkeypatch.setattr("palabre_cli.local.launch", launch)
    monkeypatch.setenv("CLOCK_START", "2026-11-30T07:00:00Z")

    with pytest.raises(SystemExit):
        main(["local", "--port", "0"])

    assert started["clock_start"] == datetime(2026, 11, 30, 8, tzinfo=timezone(timedelta(hours=1)))


def test_an_upload_to_aws_without_an_uploader_stops_before_reaching_aws(
    capsys: pytest.CaptureFixture,
) -> None:
    # The import would refuse it: only a file naming an active admin is imported
    assert main(["upload", str(ROSTER), "--kind", "roster", "--bucket", "b", "--no-wait"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("palabre upload: --uploader is required")
