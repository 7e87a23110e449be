"""`sync --check` in a machine format prints one document on stdout, diff included.

Before, `sync --check --format json` printed only the unified diff on stdout (no JSON at all),
so a script reading its output could not parse it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cardguard.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tiny-bert-classifier"


@pytest.fixture
def drifted(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(EXAMPLE, folder)
    card = folder / "README.md"
    text = card.read_text()
    assert "- num_epochs: 2\n" in text
    card.write_text(text.replace("- num_epochs: 2\n", "- num_epochs: 7\n"))
    return folder


def test_json_is_one_document_with_the_diff(drifted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (drifted / "README.md").read_text()
    code = main(["sync", "--check", "--format", "json", str(drifted)])
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert code == 1
    [entry] = document["diffs"]
    assert "-- num_epochs: 7" in entry["diff"] and "+- num_epochs: 2" in entry["diff"]
    assert "-- num_epochs: 7" in err
    assert (drifted / "README.md").read_text() == before


def test_sarif_is_one_document(drifted: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["sync", "--check", "--format", "sarif", str(drifted)])
    out, _ = capsys.readouterr()
    assert json.loads(out)["version"] == "2.1.0"


def test_json_without_drift_is_still_a_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "model"
    shutil.copytree(EXAMPLE, folder)
    assert main(["sync", "--check", "--format", "json", str(folder)]) == 0
    out, _ = capsys.readouterr()
    assert json.loads(out)["diffs"] == []
