"""The layer's lock: requirements.in (direct dependencies) resolved by `make lock` into
requirements.txt, the complete closure the layer installs with --no-deps and the dev
environment installs too, so the tests run exactly what is deployed."""

import importlib.metadata
import re

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

LAYER = ROOT / "layers" / "palabre"
# What the Lambda python3.12 runtime bundles, so the layer does not carry it.
RUNTIME = {"boto3", "botocore", "s3transfer", "jmespath", "urllib3"}


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (LAYER / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9._-]+)(?:\[[\w,.-]+\])?==([^\s;]+)", line)
            assert match, f"{name}: not an exact pin: {line!r}"
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def test_pyproject_installs_the_lock() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dependencies = { file = ["layers/palabre/requirements.txt"] }' in pyproject


def test_the_lock_pins_every_direct_dependency_as_requirements_in_does() -> None:
    direct, lock = _pins("requirements.in"), _pins("requirements.txt")
    assert direct
    assert {name: lock.get(name) for name in direct} == direct


def test_the_lock_is_closed_and_leaves_the_runtime_packages_out() -> None:
    lock = _pins("requirements.txt")
    assert not RUNTIME & set(lock)
    missing = {}
    for name in lock:
        for requirement in importlib.metadata.requires(name) or []:
            needed = Requirement(requirement)
            if needed.marker and not needed.marker.evaluate({"extra": ""}):
                continue
            dependency = canonicalize_name(needed.name)
            if dependency not in lock and dependency not in RUNTIME:
                missing[dependency] = name
    assert missing == {}, "needed by the layer, not in the lock (run make lock)"


def test_the_dev_environment_runs_exactly_the_lock() -> None:
    installed = {name: importlib.metadata.version(name) for name in _pins("requirements.txt")}
    assert installed == _pins("requirements.txt"), "run make venv"


def test_what_the_layer_shares_with_botocore_is_a_version_botocore_accepts() -> None:
    """The layer comes first on Lambda's path: botocore imports the layer's dateutil."""
    lock = _pins("requirements.txt")
    shared = {}
    for name in RUNTIME:
        for requirement in importlib.metadata.requires(name) or []:
            needed = Requirement(requirement)
            if canonicalize_name(needed.name) in lock:
                shared[f"{name} needs {needed}"] = needed.specifier.contains(
                    lock[canonicalize_name(needed.name)], prereleases=True
                )
    assert shared
    assert all(shared.values()), shared
