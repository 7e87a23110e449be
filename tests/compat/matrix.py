"""The compatibility matrix's moving parts: running the CLI in-process, preparing model
folders the way users do, and recording each cell for docs/compatibility.md.

No pytest fixtures here (they are in conftest.py) and no expectations (test_matrix.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cardguard.cli import main

COLUMNS = ("validate", "facts", "sync", "check")
MUTATIONS = ("retrain", "edit-metric", "base-model", "bigger-weights", "delete-shard")
RESULTS_ENV = "CARDGUARD_COMPAT_RESULTS"
_REGION_NAME = re.compile(r"region '([^']+)'")
_BEGIN_MARKER = re.compile(r"^<!-- cardguard:begin (\S+) -->$", re.MULTILINE)


@dataclass(frozen=True)
class CliRun:
    """One in-process ``cardguard`` command: exit code, stdout, stderr."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def codes(self) -> Counter[str]:
        """Rule codes of the findings (``--format json`` output)."""
        return Counter(item["code"] for item in self.json()["findings"])

    def drifting_regions(self) -> list[str]:
        """The regions CG405 findings name, sorted."""
        return sorted(_REGION_NAME.search(item["message"]).group(1)
                      for item in self.json()["findings"] if item["code"] == "CG405")

    def brief(self) -> str:
        """One line per finding other than placeholders (for assertion messages)."""
        return "\n".join(f"{item['line']}: {item['code']} {item['message']}"
                         for item in self.json()["findings"] if item["code"] != "CG203")


def cardguard(*args: str | Path) -> CliRun:
    """``cardguard ARGS`` through ``cardguard.cli.main``, output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(arg) for arg in args])
    return CliRun(code, out.getvalue(), err.getvalue())


# -- preparing folders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """How a user puts an output under cardguard: the configuration and where the card comes from."""

    profile: str
    required_regions: tuple[str, ...] = ()
    card: str = "library"  # "library": as written; "init": `cardguard init`; "peft-only": PEFT's own card
    keep_files: tuple[str, ...] = ()  # copy only these (all when empty)

    def config_text(self) -> str:
        regions = ", ".join(f'"{name}"' for name in self.required_regions)
        return f'profile = "{self.profile}"\nrequired-regions = [{regions}]\n'


def prepare(source: Path, folder: Path, setup: Setup, card_text: str | None = None) -> Path:
    """Copy an output to ``folder``, add ``.cardguard.toml`` and the card the setup says."""
    if setup.keep_files:
        folder.mkdir(parents=True)
        for name in setup.keep_files:
            shutil.copy2(source / name, folder / name)
    else:
        shutil.copytree(source, folder)
    if card_text is not None:
        (folder / "README.md").write_bytes(card_text.encode("utf-8"))
    (folder / ".cardguard.toml").write_text(setup.config_text(), encoding="utf-8")
    if setup.card == "init":
        run = cardguard("init", folder)
        assert run.exit_code == 0, run.stderr
    return folder


def replace_artifacts(folder: Path, source: Path) -> None:
    """Every file of ``source`` but its card copied over ``folder`` (a rerun into the same folder)."""
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.relative_to(source).as_posix() != "README.md":
            target = folder / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def replace_line(card: Path, old: str, new: str) -> int:
    """Replace the one line of ``card`` equal to ``old`` (stripped); return its 1-based number."""
    lines = card.read_bytes().decode("utf-8").split("\n")
    numbers = [i for i, line in enumerate(lines) if line.strip() == old]
    assert len(numbers) == 1, f"{old!r} is on lines {[n + 1 for n in numbers]} of {card}"
    lines[numbers[0]] = lines[numbers[0]].replace(old, new)
    card.write_bytes("\n".join(lines).encode("utf-8"))
    return numbers[0] + 1


def regions_in(text: str) -> list[str]:
    return _BEGIN_MARKER.findall(text)


def front_matter(text: str) -> dict[str, Any]:
    return yaml.safe_load(text.split("---\n", 2)[1]) or {}


def is_subsequence(lines: list[str], within: list[str]) -> bool:
    """True when ``lines`` appear in ``within`` in the same order (only insertions made)."""
    remaining = iter(within)
    return all(any(line == other for other in remaining) for line in lines)


def difference(after: Counter[str], before: Counter[str]) -> dict[str, int]:
    """Findings added by a mutation, by code (``after - before``; nothing may disappear)."""
    assert not before - after, f"findings disappeared: {dict(before - after)}"
    return dict(sorted((after - before).items()))


def counted(codes: Counter[str] | dict[str, int]) -> str:
    """``CG110, 3×CG203`` (sorted), or ``none``."""
    items = sorted(codes.items())
    return ", ".join(code if count == 1 else f"{count}×{code}" for code, count in items) or "none"


# -- recording ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One cell of the matrix and the test that produced it."""

    status: str  # "pass" (no findings), "expected" (only documented ones), "caught", "n/a"
    text: str
    test: str


@dataclass
class Row:
    """One output: what produced it, under which profile, and its cells."""

    order: int
    output: str
    library: str
    version: str
    generator: str
    setup: dict[str, Any]
    expected: list[dict[str, Any]]
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class Recorder:
    """Every cell recorded in this session, by output id."""

    versions: dict[str, str] = field(default_factory=dict)
    rows: dict[str, Row] = field(default_factory=dict)

    def record(self, row: Row, column: str, cell: Cell) -> None:
        self.rows.setdefault(row.output, row).cells[column] = cell

    def as_json(self) -> dict[str, Any]:
        rows = sorted(self.rows.values(), key=lambda row: row.order)
        return {"versions": self.versions, "rows": [asdict(row) for row in rows]}
