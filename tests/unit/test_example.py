"""The example folder the README's first command checks: it passes, and catches an edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cardguard.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tiny-bert-classifier"


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return Path(shutil.copytree(EXAMPLE, tmp_path / "tiny-bert-classifier"))


def test_example_passes_check(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(example)]) == 0
    assert "no problems" in capsys.readouterr().out


def test_an_edited_metric_fails_check_and_sync_restores_it(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = example / "README.md"
    original = card.read_text()
    card.write_text(original.replace("      value: 0.75\n", "      value: 0.95\n"))
    assert main(["check", str(example)]) == 1
    assert "CG413" in capsys.readouterr().out
    assert main(["sync", str(example)]) == 1
    assert card.read_text() == original
    assert main(["check", str(example)]) == 0
