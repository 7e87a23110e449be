"""The `training-curves` region end to end: `sync` writes the SVG beside the card, `check`
reports a missing or stale figure (CG420) and stays quiet once synced, a hostile tree
(linked `assets/`, a file in its place) is refused, and without matplotlib nothing fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import cardguard
from cardguard.expect import curves as curves_module
from cardguard.expect.curves import FIGURE_PATH

CARD = """---
license: mit
library_name: transformers
tags:
- generated_from_trainer
---
# tiny

## Training curves

<!-- cardguard:begin training-curves -->
<!-- cardguard:end training-curves -->
"""

LOG = [
    {"epoch": 1.0, "step": 10, "loss": 0.9, "learning_rate": 1e-5},
    {"epoch": 1.0, "step": 10, "eval_loss": 0.8, "eval_accuracy": 0.6, "eval_runtime": 1.0},
    {"epoch": 2.0, "step": 20, "loss": 0.6, "learning_rate": 5e-6},
    {"epoch": 2.0, "step": 20, "eval_loss": 0.7, "eval_accuracy": 0.7, "eval_runtime": 1.0},
    {"epoch": 2.0, "step": 20, "train_runtime": 5.0, "train_loss": 0.75},
]


def needs_matplotlib() -> None:
    pytest.importorskip("matplotlib", reason="the plots extra is not installed (pip install 'cardguard[plots]')")


def model_folder(root: Path, log: list[dict] = LOG, card: str = CARD) -> Path:
    folder = root / "model"
    folder.mkdir()
    (folder / "README.md").write_text(card, encoding="utf-8")
    write_log(folder, log)
    return folder


def write_log(folder: Path, log: list[dict]) -> None:
    state = {"global_step": 20, "epoch": 2.0, "log_history": log}
    (folder / "trainer_state.json").write_text(json.dumps(state), encoding="utf-8")


def codes_of(report: cardguard.Report) -> set[str]:
    return {finding.code for finding in report.findings}


def check(folder: Path) -> cardguard.Report:
    return cardguard.check([folder], profile="minimal")


def sync(folder: Path) -> cardguard.Report:
    return cardguard.sync([folder], profile="minimal")


def test_sync_writes_the_figure_and_check_is_then_clean(tmp_path):
    needs_matplotlib()
    folder = model_folder(tmp_path)
    before = check(folder)
    assert {"CG405", "CG420"} <= codes_of(before)
    [missing] = [finding for finding in before.findings if finding.code == "CG420"]
    assert missing.path.endswith(FIGURE_PATH) and "does not exist yet" in missing.message
    assert "Binary files /dev/null and" in before.cards[0].diff  # the SVG is not shown line by line

    assert sync(folder).cards[0].written
    figure = folder / FIGURE_PATH
    assert figure.read_bytes().startswith(b"<?xml")
    assert f"]({FIGURE_PATH})" in (folder / "README.md").read_text(encoding="utf-8")
    assert not {"CG405", "CG420"} & codes_of(check(folder))
    again = sync(folder)
    assert not again.cards[0].written and not again.cards[0].changed


def test_a_changed_log_history_makes_the_figure_stale(tmp_path):
    needs_matplotlib()
    folder = model_folder(tmp_path)
    sync(folder)
    drawn = (folder / FIGURE_PATH).read_bytes()
    write_log(folder, [dict(row, eval_loss=0.65) if "eval_loss" in row else row for row in LOG])
    report = check(folder)
    stale = [finding for finding in report.findings if finding.code == "CG420"]
    assert len(stale) == 1 and "stale" in stale[0].message
    assert (folder / FIGURE_PATH).read_bytes() == drawn  # check writes nothing
    sync(folder)
    assert (folder / FIGURE_PATH).read_bytes() != drawn
    assert "CG420" not in codes_of(check(folder))


def test_a_figure_edited_by_hand_is_drift(tmp_path):
    needs_matplotlib()
    folder = model_folder(tmp_path)
    sync(folder)
    (folder / FIGURE_PATH).write_text("<svg/>", encoding="utf-8")
    assert "CG420" in codes_of(check(folder))


def test_without_matplotlib_the_region_says_how_and_nothing_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(curves_module, "plots_available", lambda: False)
    folder = model_folder(tmp_path)
    sync(folder)
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert "pip install 'cardguard[plots]'" in text
    assert not (folder / "assets").exists()
    assert not {"CG405", "CG420", "CG407"} & codes_of(check(folder))


def test_without_matplotlib_a_drawn_figure_is_left_alone(tmp_path, monkeypatch):
    folder = model_folder(tmp_path, card=CARD.replace(
        "<!-- cardguard:end", f"![Training curves]({FIGURE_PATH})\n<!-- cardguard:end"))
    monkeypatch.setattr(curves_module, "plots_available", lambda: False)
    report = check(folder)
    assert not {"CG405", "CG420"} & codes_of(report)
    assert not sync(folder).cards[0].written


def test_no_training_log_leaves_the_region_alone(tmp_path):
    folder = model_folder(tmp_path)
    (folder / "trainer_state.json").unlink()
    assert not {"CG405", "CG420"} & codes_of(check(folder))
    assert not sync(folder).cards[0].written


# -- a hostile tree ----------------------------------------------------------------------------

def test_a_linked_assets_folder_is_refused_and_nothing_is_written_through_it(tmp_path):
    needs_matplotlib()
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = model_folder(tmp_path)
    (folder / "assets").symlink_to(outside, target_is_directory=True)
    report = check(folder)
    assert "CG307" in codes_of(report) and "CG420" not in codes_of(report)
    sync(folder)
    assert list(outside.iterdir()) == []


def test_a_link_to_a_folder_inside_the_model_folder_is_refused_too(tmp_path):
    needs_matplotlib()
    folder = model_folder(tmp_path)
    (folder / "figures").mkdir()
    (folder / "assets").symlink_to(folder / "figures", target_is_directory=True)
    assert "CG307" in codes_of(sync(folder))
    assert list((folder / "figures").iterdir()) == []


def test_a_linked_figure_is_refused_and_its_target_untouched(tmp_path):
    needs_matplotlib()
    secret = tmp_path / "secret.txt"
    secret.write_text("keep me", encoding="utf-8")
    folder = model_folder(tmp_path)
    (folder / "assets").mkdir()
    (folder / FIGURE_PATH).symlink_to(secret)
    assert "CG307" in codes_of(check(folder))
    sync(folder)
    assert secret.read_text(encoding="utf-8") == "keep me"
    assert (folder / FIGURE_PATH).is_symlink()


def test_a_file_where_the_assets_folder_should_be_is_a_finding(tmp_path):
    needs_matplotlib()
    folder = model_folder(tmp_path)
    (folder / "assets").write_text("not a folder", encoding="utf-8")
    report = sync(folder)
    assert "CG001" in codes_of(report)
    assert (folder / "assets").read_text(encoding="utf-8") == "not a folder"


# -- a real Trainer run (the compatibility matrix's classifier) --------------------------------

def with_region(run_out: Path, destination: Path) -> Path:
    shutil.copytree(run_out, destination)
    card = destination / "README.md"
    text = card.read_text(encoding="utf-8")
    card.write_text(text + "\n## Training curves\n\n<!-- cardguard:begin training-curves -->\n"
                           "<!-- cardguard:end training-curves -->\n", encoding="utf-8")
    return destination


def test_a_real_trainer_run_draws_the_same_bytes_twice_and_a_retrain_is_stale(
        tmp_path, trainer_classifier_run, continued_classifier_run):
    needs_matplotlib()
    first = with_region(trainer_classifier_run.out, tmp_path / "first")
    second = with_region(trainer_classifier_run.out, tmp_path / "second")
    cardguard.sync([first, second])
    drawn = (first / FIGURE_PATH).read_bytes()
    assert drawn == (second / FIGURE_PATH).read_bytes()
    assert "Evaluation loss" in (first / "README.md").read_text(encoding="utf-8")
    assert "CG420" not in codes_of(cardguard.check([first]))

    retrained = tmp_path / "retrained"
    shutil.copytree(continued_classifier_run.out, retrained)
    shutil.copy(first / "README.md", retrained / "README.md")
    shutil.copytree(first / "assets", retrained / "assets")
    stale = [finding for finding in cardguard.check([retrained]).findings if finding.code == "CG420"]
    assert len(stale) == 1 and "stale" in stale[0].message
    cardguard.sync([retrained])
    assert (retrained / FIGURE_PATH).read_bytes() != drawn
    assert "CG420" not in codes_of(cardguard.check([retrained]))
