"""Reading a SAM template: its source, and the CloudFormation it translates to, offline.

The local stack takes every table, queue, bucket, schedule, trigger and route from here,
so nothing about the infrastructure is ever written twice.
"""

import copy
import os
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

LOCAL_CODE_BUCKET = "local-code"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !GetAtt, !Sub...)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_source(path: Path) -> dict[str, Any]:
    """The template as written (a copy: callers may change it). Parsed once per version
    of the file: PyYAML takes ~0.1 s over it, and each test's stack reads it twice."""
    stat = path.stat()
    return copy.deepcopy(_parsed(path.resolve(), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _parsed(path: Path, _mtime: int, _size: int) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        source: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)
    return source


def globals_environment(source: dict[str, Any]) -> dict[str, str]:
    """The plain environment variables every function gets from Globals (those set with
    intrinsics need the stack and are left out)."""
    variables = source.get("Globals", {}).get("Function", {}).get("Environment", {})
    return {k: v for k, v in variables.get("Variables", {}).items() if isinstance(v, str)}


def parameter_defaults(source: dict[str, Any]) -> dict[str, str]:
    return {
        name: str(spec["Default"])
        for name, spec in source.get("Parameters", {}).items()
        if "Default" in spec
    }


class _NoManagedPolicies:
    """samtranslator asks IAM for managed policy ARNs; offline, its bundled map answers."""

    def load(self) -> dict[str, str]:
        return {}


@dataclass(frozen=True)
class Translated:
    source: dict[str, Any]
    resources: dict[str, dict[str, Any]]
    outputs: dict[str, Any]
    parameters: dict[str, str]
    code_paths: dict[str, Path] = field(default_factory=dict)
    """logical id of each function and layer -> its local source folder"""

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}


def translate(
    path: Path,
    parameters: dict[str, str] | None = None,
    region: str = "eu-west-1",
) -> Translated:
    """SAM -> CloudFormation with aws-sam-translator, no AWS account involved."""
    return _translate(path, tuple(sorted((parameters or {}).items())), region)


@cache
def _translate(path: Path, parameters: tuple[tuple[str, str], ...], region: str) -> Translated:
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.transform import transform

    source = load_source(path)
    values = parameter_defaults(source) | dict(parameters)
    missing = sorted(set(source.get("Parameters", {})) - set(values))
    if missing:
        # As CloudFormation refuses a stack without them, rather than resolve a Ref to None.
        raise ValueError(f"{path.name} needs a value for {', '.join(missing)} (no default)")
    template = copy.deepcopy(source)
    code_paths: dict[str, Path] = {}
    # The translator only accepts S3 locations for code: point it at a placeholder bucket
    # and remember where each function and layer really lives.
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                code_paths[logical_id] = (path.parent / props[key]).resolve()
                props[key] = f"s3://{LOCAL_CODE_BUCKET}/{logical_id}"
    ArnGenerator.BOTO_SESSION_REGION_NAME = region
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        output = transform(template, values, _NoManagedPolicies())
    finally:
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous
    # Layers translate to AWS::Lambda::LayerVersion<hash>; map them back by prefix.
    for logical_id in list(code_paths):
        if logical_id not in output["Resources"]:
            for translated_id in output["Resources"]:
                if translated_id.startswith(logical_id):
                    code_paths[translated_id] = code_paths[logical_id]
    return Translated(
        source=source,
        resources=output["Resources"],
        outputs=output.get("Outputs", {}),
        parameters=values,
        code_paths=code_paths,
    )
