"""The built artifact (`make build`, .aws-sam/build), loaded as Lambda's python3.12 runtime
loads it — for the tests that check it and the bench that times it.

On Lambda, `sys.path` is the function's code (/var/task), then its layers' python/ folder
(/opt/python), then the runtime's own packages (boto3, botocore, s3transfer, jmespath and
what they need), then the standard library. Here a fresh interpreter started with
`-I -S -B` has the standard library alone (no site-packages, no environment variables,
no .pyc written into the artifact), and `lambda_python` puts the rest in front, in that
order: the function's build folder, each of its layers' python/, and a stand-in for the
runtime's packages, linked from this environment. Every folder comes from the built
template, which `translate` reads like template.yaml.
"""

import importlib.metadata
import os
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packaging.requirements import Requirement

from palabre_cli.template import LOCAL_PARAMETERS, ROOT, Translated, globals_environment
from sam_moto import template as sam_template
from sam_moto.intrinsics import Resolver

BUILD = ROOT / ".aws-sam" / "build"
# What Lambda's python3.12 runtime bundles: boto3 and, with it, what it requires.
RUNTIME_DISTRIBUTIONS = ("boto3",)
REGION = "eu-west-1"
ACCOUNT = "123456789012"
STACK = "palabre-built"
OPT = PurePosixPath("/opt")


class MissingBuild(Exception):
    """There is no .aws-sam/build: `make build` makes it (`make test` does first)."""


@dataclass(frozen=True)
class Function:
    logical_id: str
    task_root: Path
    """its build folder: /var/task"""
    handler: str
    """module.attribute"""
    layers: tuple[Path, ...]
    """each layer's build folder, in the function's order: what unpacks to /opt"""
    environment: dict[str, str]
    """its variables (Globals and its own), /opt paths pointing into its layers"""

    @property
    def module(self) -> str:
        return self.handler.rpartition(".")[0]

    @property
    def opt_python(self) -> list[Path]:
        return [layer / "python" for layer in self.layers if (layer / "python").is_dir()]


def template() -> Translated:
    built = BUILD / "template.yaml"
    if not built.is_file():
        raise MissingBuild(f"{built.relative_to(ROOT)} is missing: run `make build`")
    # As the local stack deploys it: a parameter without default (OrganisationName) given.
    return sam_template.translate(built, parameters=LOCAL_PARAMETERS)


def layer(translated: Translated, name: str) -> Path:
    """A layer's build folder, by its logical id in template.yaml (PalabreLayer...)."""
    return translated.code_paths[name]


def functions(translated: Translated | None = None) -> dict[str, Function]:
    translated = translated or template()
    # As a stack deployed with the default parameters would give them; a resource's Ref
    # or attribute, which needs a stack, is a stand-in naming it.
    resolve = Resolver(
        parameters=translated.parameters,
        pseudo={
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": STACK,
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/{STACK}",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        },
        ref=lambda logical_id: f"{STACK}-{logical_id}",
        get_att=lambda logical_id, attribute: f"{STACK}-{logical_id}-{attribute}",
        conditions=translated.source.get("Conditions", {}),
    )
    found = {}
    for logical_id, resource in sorted(translated.of_type("AWS::Lambda::Function").items()):
        props = resource["Properties"]
        layers = tuple(translated.code_paths[ref["Ref"]] for ref in props.get("Layers", []))
        variables = globals_environment(translated.source) | {
            k: str(v) for k, v in resolve(props.get("Environment", {}).get("Variables", {})).items()
        }
        found[logical_id] = Function(
            logical_id=logical_id,
            task_root=translated.code_paths[logical_id],
            handler=props["Handler"],
            layers=layers,
            environment={k: _in_layers(v, layers) for k, v in variables.items()},
        )
    return found


def _in_layers(value: str, layers: tuple[Path, ...]) -> str:
    """/opt/templates -> the folder of the layer that holds templates/ (the last one wins,
    as when Lambda unpacks the layers in order)."""
    path = PurePosixPath(value)
    if not path.is_relative_to(OPT) or path == OPT:
        return value
    holders = [layer / path.relative_to(OPT) for layer in layers]
    existing = [holder for holder in holders if holder.exists()]
    return str(existing[-1]) if existing else value


UNSAMPLED_TRACE = "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0"


def lambda_environment(function: Function) -> dict[str, str]:
    """What the interpreter gets: the function's variables and the runtime's own."""
    return {
        "PATH": os.defpath,
        "LANG": "en_US.UTF-8",
        "TZ": "UTC",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "LAMBDA_TASK_ROOT": str(function.task_root),
        # Lambda's trace header of the invocation (Tracing: Active), not sampled: the
        # X-Ray SDK refuses to trace a handler in Lambda without one
        "_X_AMZN_TRACE_ID": UNSAMPLED_TRACE,
        **function.environment,
    }


def runtime_distributions() -> list[importlib.metadata.Distribution]:
    """boto3 and everything it requires, as installed in this environment."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    pending = list(RUNTIME_DISTRIBUTIONS)
    while pending:
        distribution = importlib.metadata.distribution(pending.pop())
        name = distribution.metadata["Name"].lower()
        if name in seen:
            continue
        seen[name] = distribution
        for text in distribution.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return sorted(seen.values(), key=lambda d: d.metadata["Name"].lower())


def runtime_stand_in(folder: Path) -> Path:
    """`folder` filled with links to the runtime's packages (and their .pyc and
    dist-info) in this environment, and nothing else: what /var/runtime offers."""
    folder.mkdir(parents=True, exist_ok=True)
    for distribution in runtime_distributions():
        site = Path(str(distribution.locate_file("")))
        for file in distribution.files or []:
            parts = PurePosixPath(file).parts
            if parts[0] == "..":  # console scripts, outside site-packages
                continue
            # A top-level module's .pyc sits in the shared __pycache__: linked one by one.
            entry = Path(*parts[:2]) if parts[0] == "__pycache__" else Path(parts[0])
            link = folder / entry
            if not link.exists() and (site / entry).exists():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(site / entry)
    return folder


def lambda_path(function: Function, runtime: Path) -> list[str]:
    """What goes before the standard library on Lambda's sys.path."""
    return [str(function.task_root), *map(str, function.opt_python), str(runtime)]


def lambda_python(function: Function, runtime: Path, code: str, *args: str) -> list[str]:
    """The command that runs `code` in a fresh interpreter with Lambda's sys.path for
    `function` (run it with `lambda_environment(function)` and cwd its task root). The
    code finds the standard library's own entries in STDLIB."""
    prelude = (
        f"import sys\nSTDLIB = list(sys.path)\nsys.path[:0] = {lambda_path(function, runtime)!r}\n"
    )
    return [sys.executable, "-I", "-S", "-B", "-c", prelude + code, *args]
