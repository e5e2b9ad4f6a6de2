"""The seams of the code stay where they are drawn (as sqlite-utils' test_docs
keeps its documentation honest): each heavy dependency is imported by one room
only, the public API names no engine type, and every command and option of
the command line is documented in the README."""

from __future__ import annotations

import ast
import inspect
import tomllib
import typing
from fnmatch import fnmatch
from pathlib import Path

import click
import pytest

import searcher
from searcher.cli import main

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "searcher"
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Modules outside the Whoosh engine that name it: the seam's factory, and the
#: two modules whose names Whoosh indexes' tables of contents record for the
#: engine's classes (searcher.schema.KoreanText, searcher.analysis.KiwiTokenizer).
NAMES_THE_WHOOSH_ENGINE = {"engines/__init__.py", "schema.py", "analysis.py"}


def _imports(path: Path) -> set[str]:
    """The absolute names of the modules ``path`` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    if path.name == "__init__.py":
        package = ".".join(path.relative_to(ROOT).parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


MODULES = {str(p.relative_to(PACKAGE)): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _importers(prefix: str) -> set[str]:
    return {name for name, imported in MODULES.items() if any(m == prefix or m.startswith(prefix + ".") for m in imported)}


def test_modules_are_found() -> None:
    assert {"index.py", "cli.py", "engines/whoosh/engine.py", "analysis.py"} <= set(MODULES)


def test_a_plain_install_ships_every_package() -> None:
    # `pip install .` (the README's first command) installs what the packaging names: every folder
    # of the package must be named, or the command fails where an editable install (CI's) works.
    found = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools_find = found["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.parent.relative_to(ROOT).as_posix().replace("/", ".") for p in (ROOT / "searcher").rglob("__init__.py")}
    assert {"searcher.engines.whoosh", "searcher.ingest"} <= packages
    assert [p for p in sorted(packages) if not any(fnmatch(p, pattern) for pattern in setuptools_find)] == []


def test_only_the_whoosh_engine_imports_whoosh() -> None:
    assert {m for m in _importers("whoosh") if not m.startswith("engines/whoosh/")} == set()


def test_only_the_engines_factory_and_the_recorded_names_reach_into_the_whoosh_engine() -> None:
    outside = {m for m in _importers("searcher.engines.whoosh") if not m.startswith("engines/whoosh/")}
    assert outside <= NAMES_THE_WHOOSH_ENGINE


def test_only_the_typesense_engine_imports_typesense() -> None:
    assert {m for m in _importers("typesense") if not m.startswith("engines/typesense/")} == set()


def test_only_the_analysis_imports_kiwi() -> None:
    assert _importers("kiwipiepy") == {"analysis.py"}


def test_only_the_command_line_imports_rich() -> None:
    assert _importers("rich") == {"cli.py"}


def test_every_public_name_imports_and_no_public_signature_names_an_engine_type() -> None:
    for name in searcher.__all__:
        value = getattr(searcher, name)
        assert getattr(value, "__module__", "searcher").startswith("searcher"), name
    for _, method in inspect.getmembers(searcher.ReviewIndex, inspect.isfunction):
        hints = typing.get_type_hints(method, vars(__import__("searcher.index", fromlist=["*"])))
        for hint in hints.values():
            assert "whoosh" not in repr(hint).lower(), (method.__name__, hint)


def _commands(command: click.Command, path: list[str]):
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, path + [name])
    else:
        yield " ".join(path), command


@pytest.mark.parametrize("name, command", list(_commands(main, [])), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_and_option_is_in_the_readme(name: str, command: click.Command) -> None:
    assert f"revsearch {name}" in README
    options = [o for p in command.params for o in p.opts if o.startswith("-")]
    assert [o for o in options if o not in README] == []


def test_ci_runs_the_readme_test_command() -> None:
    # CI installs what the README tells a contributor to install (the cluster extra: real Typesense servers)
    command = next(line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines() if "pytest" in line and "pip" in line)
    assert f"    {command}\n" in README
    assert "cluster" in command
