"""A card that lacks a managed key: `check` reports it and `sync` writes it, on every Python.

Inserting a key formats its value and re-reads it with PyYAML's pure-Python loader; on Python
3.12 and 3.13 that ended in ``internal error: RecursionError`` while cardguard put a stand-in
into ``re``'s private compile cache. The CLI runs in a fresh child here, cardguard imported
before PyYAML as in a hook, because the pytest process has imported PyYAML long before.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cardguard

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tiny-bert-classifier"
PACKAGE_ROOT = Path(cardguard.__file__).resolve().parents[1]  # the cardguard under test


def run_cardguard(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "cardguard", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


@pytest.fixture
def card_without_pipeline_tag(tmp_path: Path) -> Path:
    """The example Trainer output, its card's managed ``pipeline_tag`` line removed."""
    folder = Path(shutil.copytree(EXAMPLE, tmp_path / "model"))
    card = folder / "README.md"
    lines = card.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("pipeline_tag:")]
    assert len(kept) == len(lines) - 1, "the example card should carry pipeline_tag"
    card.write_text("".join(kept), encoding="utf-8")
    return folder


def test_check_reports_the_missing_managed_key(card_without_pipeline_tag: Path) -> None:
    result = run_cardguard(["check", "--format", "json", "model"], card_without_pipeline_tag.parent)
    assert "internal error" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(item["code"], "pipeline_tag" in item["message"]) for item in findings] == [("CG408", True)]


def test_sync_writes_the_missing_managed_key(card_without_pipeline_tag: Path) -> None:
    card = card_without_pipeline_tag / "README.md"
    before = card.read_text(encoding="utf-8")
    result = run_cardguard(["sync", "model"], card_without_pipeline_tag.parent)
    assert "internal error" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr  # a rewritten card, as pre-commit fixers do
    after = card.read_text(encoding="utf-8")
    assert "pipeline_tag: text-classification\n" in after
    assert after.replace("pipeline_tag: text-classification\n", "", 1) == before
    assert run_cardguard(["check", "model"], card_without_pipeline_tag.parent).returncode == 0
