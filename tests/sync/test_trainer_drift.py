"""On a real Trainer output folder: sync then check passes; one more epoch makes check fail with
the drift rule and a diff; a hand-edited metric value fails at its line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cardguard.cli import main
from tests.sync.helpers import copy_with_config, read

# The Trainer's own card has defects validate reports (model-index `config: null`, its
# "More information needed" placeholders): not what these tests are about.
CONFIG = 'profile = "trainer"\nignore = ["CG110", "CG203"]\nrequired-regions = ["training-results", "eval-results"]\n'


def _prepare(run_out: Path, tmp_path: Path) -> Path:
    return copy_with_config(run_out, tmp_path, CONFIG)


def test_sync_then_check_passes_and_retraining_is_drift(trainer_classifier_run, continued_classifier_run,
                                                        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _prepare(trainer_classifier_run.out, tmp_path)
    assert main(["check", str(folder)]) == 1  # no regions yet: CG406
    assert "CG406" in capsys.readouterr().out
    assert main(["sync", "--add-missing", str(folder)]) == 1  # rewritten: pre-commit style
    assert main(["check", str(folder)]) == 0, capsys.readouterr().out
    synced = read(folder / "README.md")
    # One more epoch: the new trainer_state.json and results files, the synced card kept.
    for name in ("trainer_state.json", "eval_results.json", "all_results.json", "train_results.json"):
        shutil.copy(continued_classifier_run.out / name, folder / name)
    capsys.readouterr()
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "CG405" in out and "'training-results'" in out
    assert "CG413" in out  # the model-index values came from the old results
    assert "+| " in out and "--- a/" in out  # the unified diff of the table
    assert read(folder / "README.md") == synced  # check writes nothing


def test_edited_metric_fails_at_its_line(trainer_classifier_run, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = _prepare(trainer_classifier_run.out, tmp_path)
    main(["sync", "--add-missing", str(folder)])
    card = folder / "README.md"
    lines = read(card).split("\n")
    index = next(i for i, line in enumerate(lines) if line.strip() == "value: 0.75")
    lines[index] = lines[index].replace("0.75", "0.81")
    card.write_bytes("\n".join(lines).encode("utf-8"))
    capsys.readouterr()
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"README.md:{index + 1}:" in out and "CG413" in out
    assert main(["sync", str(folder)]) == 1
    assert "value: 0.75" in read(card)
