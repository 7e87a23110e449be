"""A required region the folder cannot fill says so, instead of asking for a sync that cannot help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardguard.cli import main

CARD = "---\nlicense: mit\nlibrary_name: transformers\n---\n# tiny\n\nA card.\n"
CONFIG = {"model_type": "bert", "architectures": ["BertModel"], "hidden_size": 8, "num_hidden_layers": 1,
          "num_attention_heads": 1, "vocab_size": 10, "max_position_embeddings": 16}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "model"
    model.mkdir()
    (model / "README.md").write_text(CARD)
    (model / ".cardguard.toml").write_text('profile = "minimal"\nrequired-regions = ["model-summary"]\n')
    return model


def test_required_region_without_facts_names_the_real_fix(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "CG406" in out and "nothing to fill it with" in out
    assert main(["sync", "--add-missing", str(folder)]) == 1  # still the finding; nothing written
    assert (folder / "README.md").read_text() == CARD
    assert "nothing to fill it with" in capsys.readouterr().out


def test_required_region_with_facts_is_added_by_sync(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "config.json").write_text(json.dumps(CONFIG))
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "CG406" in out and "sync --add-missing" in out
    assert main(["sync", "--add-missing", str(folder)]) == 1
    assert "cardguard:begin model-summary" in (folder / "README.md").read_text()
    capsys.readouterr()
    assert main(["check", str(folder)]) == 0
