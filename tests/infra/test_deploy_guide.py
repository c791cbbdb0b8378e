"""docs/deploy.md against template.yaml: every parameter explained with its default, and
every place `palabre smoke` sends the operator exists."""

import re

import pytest

from palabre_cli.smoke import Plan
from palabre_cli.template import Translated, load_source, translate
from tests.conftest import ROOT

GUIDE = ROOT / "docs" / "deploy.md"


def _rows() -> dict[str, list[str]]:
    """The guide's table rows that start with a `Name`, by that name."""
    rows = {}
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 3:
            rows[cells[0].strip("`")] = cells
    return rows


def _written(default: object) -> str:
    return "empty" if default == "" else f"`{default}`"


@pytest.mark.parametrize("name", list(load_source()["Parameters"]))
def test_every_parameter_has_a_row_in_the_deploy_guide_with_its_default(name: str) -> None:
    spec = load_source()["Parameters"][name]
    rows = _rows()

    assert name in rows, (
        f"docs/deploy.md has no row for the parameter {name}: add "
        f"| `{name}` | {_written(spec.get('Default', ''))} | what it is, when to change it |"
    )
    default = _written(spec["Default"]) if "Default" in spec else "required"
    assert rows[name][1] == default, (
        f"{name}: the guide says {rows[name][1]}, the template {default}"
    )
    assert len(rows[name][2]) > 20, f"{name}: say what it is and when to change it"


def test_the_guide_has_no_row_for_a_parameter_the_template_lost() -> None:
    parameters = set(load_source()["Parameters"])
    table = GUIDE.read_text(encoding="utf-8").split("### Parameters")[1].split("\n#")[0]
    named = set(re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE))

    assert named - parameters == set()


@pytest.fixture(scope="module")
def translated() -> Translated:
    return translate()


def test_smoke_finds_every_schedule_through_an_output(translated: Translated) -> None:
    schedules = set(translated.of_type("AWS::Scheduler::Schedule"))
    plan = Plan.of(translated)

    named = {
        translated.outputs[name]["Value"]["Ref"]
        for name in plan.of_type("AWS::Scheduler::Schedule")
    }
    assert named == schedules, "give each schedule an output (Value: !Ref ItsLogicalId)"


def test_smoke_finds_what_it_checks_through_outputs(translated: Translated) -> None:
    plan = Plan.of(translated)

    assert plan.recovering == {"TableName"}  # the data, not the sender's pace
    for kind in (
        "AWS::S3::Bucket",
        "AWS::SecretsManager::Secret",
        "AWS::SES::ConfigurationSet",
    ):
        assert len(plan.of_type(kind)) == 1, kind
    assert {"ApiUrl", "SenderAddress"} <= set(plan.outputs)
    assert len(plan.dead_letters) == 5
    assert len(plan.routes) >= 7


def test_every_page_smoke_and_the_guide_point_to_exists() -> None:
    sources = [
        (ROOT / "cli" / "palabre_cli" / "smoke.py").read_text(encoding="utf-8"),
        GUIDE.read_text(encoding="utf-8"),
    ]
    targets = {
        (page, anchor)
        for text in sources
        for page, anchor in re.findall(r"(?:docs/)?(\w[\w-]*\.md)#([\w-]+)", text)
    }
    assert targets
    for page, anchor in sorted(targets):
        headings = {
            re.sub(r"[^\w\- ]", "", heading).strip().lower().replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", (ROOT / "docs" / page).read_text(), re.M)
        }
        assert anchor in headings, f"{page}#{anchor}: no such heading"


def test_the_readme_points_to_the_deploy_guide() -> None:
    assert "(docs/deploy.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
