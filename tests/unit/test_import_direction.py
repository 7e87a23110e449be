"""Imports run one way: every module imports only from the parts its subpackage allows.

Each part's ``__init__`` docstring ends with ``May import: part, part, ...``; the ground floor
(the modules the root docstring lists under ``Ground modules:``) may import only the ground
floor. The doors at the top (cli, __main__, api, the root package) may import anything.
Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

import cardguard

PACKAGE = Path(cardguard.__file__).resolve().parent
DOORS = {"cli", "__main__", "api"}


def docstring_list(init: Path, field: str) -> set[str]:
    """The names after ``field:`` in a module docstring, up to the next full stop."""
    doc = " ".join((ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or "").split())
    if f"{field}:" not in doc:
        return set()
    listed = doc.split(f"{field}:", 1)[1].split(".", 1)[0]
    return {name.strip() for name in listed.split(",") if name.strip()}


def module_name(package: Path, path: Path) -> str:
    relative = path.relative_to(package.parent).with_suffix("")
    return ".".join(relative.parts[:-1] if relative.name == "__init__" else relative.parts)


def is_module(package: Path, name: str) -> bool:
    relative = package.parent / Path(*name.split("."))
    return relative.with_suffix(".py").is_file() or (relative / "__init__.py").is_file()


def imports_of(package: Path, path: Path) -> list[tuple[int, str]]:
    """(line, module) for each cardguard module the file imports, function-level ones too."""
    module = module_name(package, path)
    here = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here.split(".")[: len(here.split(".")) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:  # `from cardguard.card import markdown` imports a module
                submodule = f"{target}.{alias.name}"
                found.append((node.lineno, submodule if is_module(package, submodule) else target))
    return [(line, name) for line, name in found if name.startswith("cardguard.")]


def part_of(name: str, ground: set[str]) -> str:
    """'cardguard.card.reader' -> 'card'; 'cardguard.codes' -> 'ground'; 'cardguard.cli' -> 'door'."""
    parts = name.split(".")
    if len(parts) == 1 or parts[1] in DOORS:
        return "door"
    if parts[1] in ground or parts[1] == "data":
        return "ground"
    return parts[1]


def back_imports(package: Path) -> list[str]:
    """Every import that runs against the declared direction, as 'path:line: ...'."""
    ground = docstring_list(package / "__init__.py", "Ground modules")
    allowed: dict[str, set[str]] = {"ground": {"ground"}}
    for init in package.glob("*/__init__.py"):
        allowed[init.parent.name] = docstring_list(init, "May import") | {init.parent.name}
    problems = []
    for path in sorted(package.rglob("*.py")):
        mine = part_of(module_name(package, path), ground)
        if mine == "door":
            continue
        for line, target in imports_of(package, path):
            theirs = part_of(target, ground)
            if theirs not in allowed.get(mine, set()):
                problems.append(f"{path.relative_to(package.parent)}:{line}: {mine} imports {target} ({theirs})")
    return problems


def test_every_import_runs_down() -> None:
    assert back_imports(PACKAGE) == []


def test_every_part_says_what_it_may_import() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        assert docstring_list(init, "May import"), f"{init} has no 'May import:' line"
    ground = docstring_list(PACKAGE / "__init__.py", "Ground modules")
    top_level = {path.stem for path in PACKAGE.glob("*.py")} - DOORS - {"__init__"}
    assert ground == top_level, "every top-level module is either a door or on the ground floor"


@pytest.mark.parametrize(("victim", "line"), [
    ("card/markdown.py", "from cardguard.edit.sync import plan_sync\n"),
    ("codes.py", "from cardguard.card import reader\n"),
    ("expect/generated.py", "def late():\n    from cardguard.rules import drift\n"),
    ("artifacts/files.py", "import cardguard.settings.config\n"),
    ("report/formats.py", "from cardguard.run.validate import validate_target\n"),
])
def test_a_back_import_is_caught(tmp_path: Path, victim: str, line: str) -> None:
    copy = tmp_path / "cardguard"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / victim
    target.write_text(target.read_text(encoding="utf-8") + "\n" + line, encoding="utf-8")
    problems = back_imports(copy)
    assert len(problems) == 1 and problems[0].startswith(f"cardguard/{victim}:"), problems
