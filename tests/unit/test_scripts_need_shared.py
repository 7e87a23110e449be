"""Scripts that read ../shared (beside the checkout, not in it) say so in one line and exit 2
when it is absent: run from a copy of the checkout that has no ../shared beside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = {
    "build_schema.py": ([], "../shared/reference"),
    "corpus_report.py": (["--print"], "../shared/corpus/cards"),
}


@pytest.fixture()
def checkout_without_shared(tmp_path: Path) -> Path:
    copy = tmp_path / "checkout"
    shutil.copytree(REPO_ROOT / "scripts", copy / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO_ROOT / "schemas", copy / "schemas")
    assert not (tmp_path / "shared").exists()
    return copy


def run_script(checkout: Path, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))  # cardguard importable; ../shared still absent
    return subprocess.run([sys.executable, str(checkout / "scripts" / name), *args], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_absent_shared_is_one_line_and_exit_2(checkout_without_shared: Path, name: str) -> None:
    args, needed = SCRIPTS[name]
    schema_before = (checkout_without_shared / "schemas").joinpath("model-card-metadata.schema.json").read_bytes()
    result = run_script(checkout_without_shared, name, *args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{name}: needs ")
    assert str(checkout_without_shared.parent / needed.removeprefix("../")) in lines[0]
    assert "../shared" in lines[0]
    assert result.stdout == ""
    assert (checkout_without_shared / "schemas" / "model-card-metadata.schema.json").read_bytes() == schema_before


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_each_script_says_it_needs_shared(name: str) -> None:
    source = (REPO_ROOT / "scripts" / name).read_text(encoding="utf-8")
    docstring = source.split('"""')[1]
    assert "../shared" in docstring
