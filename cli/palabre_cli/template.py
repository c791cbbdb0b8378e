"""Palabre's template.yaml, read by the CLI, the local stack, the tests and the bench."""

from pathlib import Path
from typing import Any

from sam_moto import template
from sam_moto.template import Translated, globals_environment, parameter_defaults

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

__all__ = [
    "LOCAL_PARAMETERS",
    "ROOT",
    "TEMPLATE",
    "Translated",
    "globals_environment",
    "load_source",
    "local_parameters",
    "parameter_defaults",
    "translate",
]


LOCAL_PARAMETERS = {"OrganisationName": "Palabre démo"}
"""what the local stack, the CLI's offline commands, the tests and the bench give the
parameters a deployer must set (template.yaml has no default for them)"""


def load_source() -> dict[str, Any]:
    return template.load_source(TEMPLATE)


def local_parameters() -> dict[str, str]:
    """Every parameter's value off AWS: its default, or the local one."""
    return parameter_defaults(load_source()) | LOCAL_PARAMETERS


def translate(parameters: dict[str, str] | None = None, region: str = "eu-west-1") -> Translated:
    return template.translate(
        TEMPLATE, parameters=LOCAL_PARAMETERS | (parameters or {}), region=region
    )
