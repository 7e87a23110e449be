"""scripts/corpus_report.py: per rule, the cards flagged before and after, and one clear line
when the corpus is not there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "corpus_report.py"

HAND_WRITTEN = "---\nlicense: mit\n---\n# My model\n\nIt sorts reviews.\n"
TRAINER = """---
license: mit
library_name: transformers
tags:
- generated_from_trainer
---

# tiny

## Model description

More information needed

## Intended uses & limitations

Reviews.

## Training and evaluation data

IMDB.

## Training procedure

### Training hyperparameters

- learning_rate: 5e-05

### Framework versions

- Transformers 5.24.0
"""


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_no_corpus_is_one_clear_line(tmp_path: Path) -> None:
    result = run_script("--corpus", str(tmp_path / "absent"), "--print")
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert str(tmp_path / "absent") in result.stderr


def test_a_before_that_is_not_a_checkout_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "cards").mkdir()
    result = run_script("--corpus", str(tmp_path / "cards"), "--before", str(tmp_path), "--print")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"corpus_report: --before {tmp_path}: not a cardguard checkout"]


def test_before_and_after_per_rule(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    cards.mkdir()
    (cards / "a.md").write_text(HAND_WRITTEN, encoding="utf-8")
    (cards / "b.md").write_text(TRAINER, encoding="utf-8")
    result = run_script("--corpus", str(cards), "--before", str(ROOT), "--before-name", "same", "--print")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "| cards with at least one error | 2 (100.0%) | 2 (100.0%) |" in lines
    assert "| CG201 | `missing-section` | error | 1 (50.0%) | 1 (50.0%) |" in lines  # the hand-written card
    assert "| CG203 | `placeholder` | error | 1 (50.0%) | 1 (50.0%) |" in lines  # Trainer's placeholder
    assert "Profiles `auto` chose: hub 1, trainer 1." in lines
