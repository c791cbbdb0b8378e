"""Palabre's template.yaml, read by the CLI, the local stack, the tests and the bench."""

from pathlib import Path
from typing import Any

from sam_moto import template
from sam_moto.template import Translated, globals_environment, parameter_defaults

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

__all__ = [
    "ROOT",
    "TEMPLATE",
    "Translated",
    "globals_environment",
    "load_source",
    "parameter_defaults",
    "translate",
]


def load_source() -> dict[str, Any]:
    return template.load_source(TEMPLATE)


def translate(parameters: dict[str, str] | None = None, region: str = "eu-west-1") -> Translated:
    return template.translate(TEMPLATE, parameters=parameters, region=region)
