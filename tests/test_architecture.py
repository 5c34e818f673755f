"""The structure the product keeps: dependencies run one way, no import cycle, requirement IDs only
in the catalogue, and runtime dependencies that are exactly what the product imports."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("conformance", "strategies", "reports")  # the packages of the wheel
REQUIREMENT_ID = re.compile(r"\b(AUTH|REQ|ERR|RUN|LIFE|SSE|SDK)-\d{3}\b")

# What each part of the product may import of the project (itself always). The CLI modules, at
# the top of the chain, may import anything.
ALLOWED: dict[str, tuple[str, ...]] = {
    "conformance.core": (),
    "conformance.streaming": ("conformance.core",),
    "strategies": ("conformance.core",),
    "conformance.engine": ("conformance.core", "conformance.streaming", "strategies"),
    "conformance.server": ("conformance.core",),
    "reports": ("conformance.core",),
}
TOP = ("conformance", "conformance.cli", "conformance.run_command", "conformance.requirements_command")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for package in PRODUCT for path in (ROOT / package).rglob("*.py")}


def is_project(name: str) -> bool:
    return name.split(".")[0] in PRODUCT


def imported(path: Path, *, module_level_only: bool) -> Iterator[str]:
    """The project modules ``path`` imports: every import, or only those run when it is imported
    (not inside functions, not under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = ast.walk(tree) if not module_level_only else _module_level(tree.body)
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if is_project(alias.name))
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}: the product imports absolutely"
            base = node.module or ""
            if not is_project(base):
                continue
            for alias in node.names:  # ``from package import module`` imports that module
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base


def _module_level(body: list[ast.stmt]) -> Iterator[ast.AST]:
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            yield from _module_level(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _module_level(node.body + node.orelse + node.finalbody)


def part_of(name: str) -> str | None:
    return max((part for part in ALLOWED if name == part or name.startswith(part + ".")), key=len, default=None)


def test_dependencies_run_one_way() -> None:
    wrong = []
    for name, path in modules().items():
        part = part_of(name)
        if part is None:
            assert name in TOP, f"{name} belongs to no part of the structure"
            continue
        for target in imported(path, module_level_only=False):
            allowed = (part, *ALLOWED[part])
            if target != "conformance" and not any(target == other or target.startswith(other + ".")
                                                   for other in allowed):  # the root holds the version only
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_no_import_cycle() -> None:
    graph = {name: set(imported(path, module_level_only=True)) for name, path in modules().items()}
    cycles = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph.get(name, ())):
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_stream_oracle_imports_neither_hypothesis_nor_httpx_nor_the_engine() -> None:
    probe = ("import sys, json; import conformance.streaming.rules, conformance.streaming.rest; "
             "print(json.dumps(sorted(sys.modules)))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                                       cwd=ROOT).stdout)
    heavy = [name for name in loaded if name.split(".")[0] in ("hypothesis", "httpx", "openai", "strategies")
             or name.startswith(("conformance.engine", "conformance.server", "reports"))]
    assert heavy == []


def test_requirement_ids_are_written_only_in_the_catalogue() -> None:
    found = []
    for name, path in modules().items():
        if name == "conformance.core.catalogue":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and REQUIREMENT_ID.search(node.value):
                found.append(f"{name}:{node.lineno}: {REQUIREMENT_ID.search(node.value).group()}")
    assert found == []


def test_every_requirement_constant_names_its_id() -> None:
    from conformance.core import catalogue

    constants = {name: value for name, value in vars(catalogue).items() if isinstance(value, catalogue.Requirement)}
    assert {name.replace("_", "-"): value.id for name, value in constants.items()} == {
        requirement.id: requirement.id for requirement in catalogue.CATALOGUE}


def third_party_imports() -> set[str]:
    names = set()
    for path in modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name not in PRODUCT}


def distribution(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_runtime_dependencies_are_what_the_product_imports() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {distribution(dependency) for dependency in project["dependencies"]}
    owners = packages_distributions()
    used = {distribution(owners[name][0]) for name in third_party_imports()}
    assert used == declared
