"""What `sam build` produced (.aws-sam/build) is what the tests ran: the same sources, the
same dependency versions, every handler importing from the built artifact alone with
Lambda's sys.path, and a layer kept lean and precompiled.

`make test` (so CI) and `make infra` build first; run alone, these tests fail until
`make build` has run, rather than skip: a skipped check of the artifact is how a layer
that cannot import would reach a deploy.
"""

import filecmp
import importlib.metadata
import importlib.util
import json
import subprocess
import typing
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import get_timezone_location
from packaging.utils import canonicalize_name

from palabre.core.dates import format_date, format_datetime
from palabre.core.models import Locale
from palabre_cli import built
from palabre_cli.template import Translated, load_source, translate
from tests.conftest import ROOT

LOCK = ROOT / "layers" / "palabre" / "requirements.txt"
SOURCE_PACKAGE = ROOT / "layers" / "palabre" / "palabre"
PROBE_TIMEOUT = 120

# Runs in a fresh interpreter: imports the modules named in argv[1] (every submodule too,
# for palabre), then names every loaded module whose file lies outside the folders on
# Lambda's path (the build, the layers, the runtime stand-in) and the standard library.
_IMPORT_PROBE = """
import importlib, json, os, pkgutil, traceback
modules, handler = json.loads(sys.argv[1]), sys.argv[2]
roots = [os.path.join(p, "") for p in sys.path]
errors = {}
for name in modules:
    try:
        module = importlib.import_module(name)
        if name == modules[0] and handler and not callable(getattr(module, handler, None)):
            errors[name] = f"{handler} is not a callable of {module.__file__}"
        if hasattr(module, "__path__") and name == "palabre":
            for found in pkgutil.walk_packages(module.__path__, "palabre."):
                importlib.import_module(found.name)
    except BaseException:
        errors[name] = traceback.format_exc()
outside = sorted(
    f"{name}: {where}"
    for name, module in list(sys.modules.items())
    for where in [getattr(module, "__file__", None), *(getattr(module, "__path__", None) or [])]
    if where and not any(where.startswith(root) for root in roots)
)
files = {name: getattr(m, "__file__", None) for name, m in sys.modules.items()}
print(json.dumps({"errors": errors, "outside": outside, "files": files}))
"""

_DATES_PROBE = """
import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo
from babel.dates import get_timezone_location
from palabre.core.dates import format_date, format_datetime
import babel
print(json.dumps({"babel": babel.__file__, "dates": [
    [format_date(date(2026, 12, 1), f, locale=l) for f in ("full", "long", "d MMMM y")]
    + [get_timezone_location(ZoneInfo(z), locale=l) for z in ("Europe/Paris", "America/Montreal")]
    + [format_datetime(datetime(2026, 12, 1, 8, tzinfo=UTC), "long", tzinfo=ZoneInfo(
        "Europe/Paris"), locale=l)]
    for l in json.loads(sys.argv[1])
]}))
"""


def _dates(locales: list[str]) -> list[list[str]]:
    """What the tests render, with the dev environment's whole Babel."""
    return [
        [format_date(date(2026, 12, 1), f, locale=locale) for f in ("full", "long", "d MMMM y")]
        + [
            get_timezone_location(ZoneInfo(z), locale=locale)
            for z in ("Europe/Paris", "America/Montreal")
        ]
        + [
            format_datetime(
                datetime(2026, 12, 1, 8, tzinfo=UTC),
                "long",
                tzinfo=ZoneInfo("Europe/Paris"),
                locale=locale,
            )
        ]
        for locale in locales
    ]


ORGANISATION_LOCALES = sorted(load_source()["Parameters"]["DefaultLocale"]["AllowedValues"])


@pytest.fixture(scope="module")
def translated() -> Translated:
    try:
        return built.template()
    except built.MissingBuild as missing:
        pytest.fail(f"{missing} (make test and make infra build first)")


@pytest.fixture(scope="module")
def functions(translated: Translated) -> dict[str, built.Function]:
    return built.functions(translated)


@pytest.fixture(scope="module")
def layer(translated: Translated) -> Path:
    return built.layer(translated, "PalabreLayer") / "python"


@pytest.fixture(scope="module")
def probes(
    functions: dict[str, built.Function], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[int, str, str]]:
    """One fresh interpreter per function, plus one importing every palabre module and
    one rendering dates, all started at once (2 cores: a few seconds in all)."""
    runtime = built.runtime_stand_in(tmp_path_factory.mktemp("lambda") / "runtime")
    any_function = next(iter(functions.values()))
    commands = {
        logical_id: (
            function,
            built.lambda_python(
                function,
                runtime,
                _IMPORT_PROBE,
                json.dumps([function.module]),
                function.handler.rpartition(".")[2],
            ),
        )
        for logical_id, function in functions.items()
    }
    commands["every palabre module"] = (
        any_function,
        built.lambda_python(any_function, runtime, _IMPORT_PROBE, json.dumps(["palabre"]), ""),
    )
    commands["dates"] = (
        any_function,
        built.lambda_python(any_function, runtime, _DATES_PROBE, json.dumps(ORGANISATION_LOCALES)),
    )
    started = {
        name: subprocess.Popen(
            command,
            env=built.lambda_environment(function),
            cwd=function.task_root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (function, command) in commands.items()
    }
    results = {}
    try:
        for name, process in started.items():
            out, err = process.communicate(timeout=PROBE_TIMEOUT)
            lines = out.strip().splitlines()
            results[name] = (process.returncode, err, lines[-1] if lines else "")
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return results


def _result(probes: dict[str, tuple[int, str, str]], name: str) -> dict[str, typing.Any]:
    returncode, err, last_line = probes[name]
    assert returncode == 0, f"{name}: exit {returncode}\n{err}"
    return json.loads(last_line)


def _lock() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    return pins


def _files(folder: Path) -> set[Path]:
    return {
        p.relative_to(folder)
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def _same_files(source: Path, copy: Path) -> list[str]:
    """Files that differ, or that are on one side only."""
    differ = [str(p) for p in _files(source) ^ _files(copy)]
    differ += [
        str(p)
        for p in _files(source) & _files(copy)
        if not filecmp.cmp(source / p, copy / p, shallow=False)
    ]
    return sorted(differ)


# ---------------------------------------------------------------- the same code
def test_the_build_is_of_this_source_tree(translated: Translated, layer: Path) -> None:
    sources = translate().code_paths
    stale = {"palabre": _same_files(SOURCE_PACKAGE, layer / "palabre")}
    for logical_id in ("TemplatesLayer", *translated.of_type("AWS::Lambda::Function")):
        built_folder = translated.code_paths[logical_id]
        if logical_id == "TemplatesLayer":
            built_folder = built_folder / "templates"
        stale[logical_id] = [
            p
            for p in _same_files(sources[logical_id], built_folder)
            if p != "Makefile" and not p.startswith("compiled/") and not p.endswith(".mo")
        ]
    assert {k: v for k, v in stale.items() if v} == {}, "the build is stale: run make build"


def test_the_templates_layer_carries_every_template_and_catalog_compiled_from_this_tree(
    translated: Translated, tmp_path: Path
) -> None:
    from palabre.core.i18n import compile_catalogs
    from palabre.mail.render import precompile

    built_templates = translated.code_paths["TemplatesLayer"] / "templates"
    catalogs = compile_catalogs(ROOT / "templates", tmp_path / "catalogs")
    assert [p.relative_to(tmp_path / "catalogs") for p in catalogs] == [
        Path("locales/fr/LC_MESSAGES/messages.mo")
    ]
    assert [
        (built_templates / p.relative_to(tmp_path / "catalogs")).read_bytes() for p in catalogs
    ] == [p.read_bytes() for p in catalogs], "the build is stale: run make build"

    built_folder = built_templates / "compiled"
    names = precompile(ROOT / "templates", tmp_path / "compiled")
    assert {"web/answer.html", "email/prompt.html", "email/digest.txt"} <= set(names)
    assert _same_files(tmp_path / "compiled", built_folder) == [], "the build is stale"
    modules = sorted(built_folder.glob("*.py"))
    assert len(modules) == len(names)
    pycs = {Path(importlib.util.cache_from_source(str(p))) for p in modules}
    assert all(p.is_file() and p.read_bytes()[4:8] == b"\x01\0\0\0" for p in pycs)


def test_the_layer_carries_exactly_the_locked_versions_the_tests_run(layer: Path) -> None:
    carried = {}
    for info in layer.glob("*.dist-info"):
        metadata = importlib.metadata.Distribution.at(info).metadata
        carried[canonicalize_name(metadata["Name"])] = metadata["Version"]
    assert carried == _lock(), "the layer and requirements.txt differ: run make build"
    tested = {name: importlib.metadata.version(name) for name in carried}
    assert carried == tested, "the tests run other versions: run make venv"


# ---------------------------------------------------------------- importing as Lambda does
def test_every_function_of_the_template_is_probed(
    functions: dict[str, built.Function], translated: Translated
) -> None:
    assert set(functions) == set(translated.of_type("AWS::Lambda::Function"))
    assert len(functions) >= 7


@pytest.mark.parametrize(
    "logical_id",
    sorted(translate().of_type("AWS::Lambda::Function")),
)
def test_the_handler_imports_from_the_built_artifact_alone(
    logical_id: str,
    functions: dict[str, built.Function],
    probes: dict[str, tuple[int, str, str]],
    layer: Path,
) -> None:
    function = functions[logical_id]
    result = _result(probes, logical_id)
    assert result["errors"] == {}, "\n".join(result["errors"].values())
    assert result["outside"] == []
    assert result["files"][function.module] == str(function.task_root / f"{function.module}.py")
    assert result["files"]["palabre"] == str(layer / "palabre" / "__init__.py")
    # Lambda's runtime packages come from the runtime; the layer's from the layer.
    assert "/runtime/botocore/" in result["files"]["botocore"]
    assert result["files"]["dateutil"].startswith(str(layer))


def test_every_palabre_module_imports_from_the_built_layer(
    probes: dict[str, tuple[int, str, str]], layer: Path
) -> None:
    """wiring defers each journey's imports to its first call: a handler's import does
    not reach them, this does."""
    result = _result(probes, "every palabre module")
    assert result["errors"] == {}, "\n".join(result["errors"].values())
    assert result["outside"] == []
    palabre = [name for name in result["files"] if name.split(".")[0] == "palabre"]
    assert len(palabre) == len(list((layer / "palabre").rglob("*.py")))


def test_french_and_english_dates_render_through_the_built_layer_as_in_the_tests(
    probes: dict[str, tuple[int, str, str]], layer: Path
) -> None:
    result = _result(probes, "dates")
    assert result["babel"].startswith(str(layer))
    assert result["dates"] == _dates(ORGANISATION_LOCALES)
    french = result["dates"][ORGANISATION_LOCALES.index("fr")]
    assert french[0] == "mardi 1er décembre 2026"


# ---------------------------------------------------------------- lean and precompiled
def test_the_layer_keeps_babel_locales_for_the_organisation_languages_only(layer: Path) -> None:
    assert sorted(typing.get_args(Locale.__value__)) == ORGANISATION_LOCALES
    kept = {p.stem for p in (layer / "babel" / "locale-data").glob("*.dat")}
    assert kept == {"root", *ORGANISATION_LOCALES}


def test_the_built_code_carries_no_tests_nor_caches(
    layer: Path, functions: dict[str, built.Function]
) -> None:
    unwanted = {"tests", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}
    found = [
        str(p)
        for folder in (layer, *(f.task_root for f in functions.values()))
        for p in folder.rglob("*")
        if p.is_dir() and p.name in unwanted
    ]
    found += [str(p) for f in functions.values() for p in f.task_root.rglob("__pycache__")]
    assert found == []


def test_every_module_of_the_layer_has_its_unchecked_hash_pyc_and_nothing_else(
    layer: Path,
) -> None:
    sources = sorted(layer.rglob("*.py"))
    assert len(sources) > 500
    expected = {Path(importlib.util.cache_from_source(str(p))) for p in sources}
    present = {p for p in layer.rglob("*") if p.parent.name == "__pycache__"}
    assert sorted(map(str, expected - present)) == [], "modules without their .pyc"
    assert sorted(map(str, present - expected)) == [], "stray files in __pycache__"
    wrong = []
    for pyc in sorted(expected):
        header = pyc.read_bytes()[:8]
        flags = int.from_bytes(header[4:8], "little")
        # PEP 552: bit 0 hash-based, bit 1 check_source; unchecked-hash is 0b01.
        if header[:4] != importlib.util.MAGIC_NUMBER or flags != 0b01:
            wrong.append(f"{pyc.relative_to(layer)}: flags {flags:#04b}")
    assert wrong == []
