"""Trainer's training-results table and results summary, by its own rules (parse_log_history):
rows are the evaluations logged before the first ``train_runtime`` entry; the summary is the
last evaluation anywhere in the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardguard.artifacts import Facts, read_facts
from cardguard.expect.generated import REGIONS, model_traits
from cardguard.expect.render import find_template, render


def _region(facts: Facts, name: str, previous: str | None = None) -> str | None:
    context = REGIONS[name].build(facts, {}, previous, model_traits(facts))
    return None if context is None else render(find_template(name), context)


def _facts_for(tmp_path: Path, log: list[dict]) -> Facts:
    (tmp_path / "trainer_state.json").write_text(json.dumps({"global_step": 4, "log_history": log}), encoding="utf-8")
    return read_facts(tmp_path)


def _rows(table: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]


TRAIN = {"epoch": 1.0, "loss": 0.9, "step": 2}
EVAL = {"epoch": 1.0, "eval_accuracy": 0.5, "eval_loss": 0.7, "eval_runtime": 0.1, "step": 2}
SUMMARY = {"epoch": 2.0, "step": 4, "train_runtime": 3.0, "train_loss": 0.8}


def test_real_trainer_table_byte_for_byte(trainer_classifier_run) -> None:
    card = (trainer_classifier_run.out / "README.md").read_text(encoding="utf-8")
    expected = card.split("### Training results\n\n", 1)[1].split("\n\n", 1)[0] + "\n"
    assert _region(read_facts(trainer_classifier_run.out), "training-results") == expected


def test_real_trainer_summary_lines(trainer_classifier_run) -> None:
    card = (trainer_classifier_run.out / "README.md").read_text(encoding="utf-8")
    summary = card.split("It achieves the following results on the evaluation set:\n", 1)[1].split("\n\n", 1)[0]
    rendered = _region(read_facts(trainer_classifier_run.out), "eval-results")
    assert sorted(rendered.splitlines()[1:]) == sorted(summary.splitlines())


def test_rows_stop_at_the_first_train_runtime(tmp_path: Path) -> None:
    later_eval = {**EVAL, "epoch": 2.0, "eval_loss": 0.6, "step": 4}
    resumed_eval = {**EVAL, "epoch": 3.0, "eval_loss": 0.1, "step": 6}
    log = [TRAIN, EVAL, {**TRAIN, "loss": 0.8, "step": 4}, later_eval, SUMMARY, later_eval,
           {**TRAIN, "loss": 0.2, "step": 6}, resumed_eval, {**SUMMARY, "step": 6}]
    table = _region(_facts_for(tmp_path, log), "training-results")
    assert [row[:4] for row in _rows(table)] == [["0.9", "1.0", "2", "0.7"], ["0.8", "2.0", "4", "0.6"]]


@pytest.mark.parametrize(("log", "first_loss"), [
    ([EVAL, TRAIN, SUMMARY], "No log"),  # evaluation before any training log
    ([TRAIN, EVAL, SUMMARY], "0.9"),
])
def test_training_loss_is_the_last_logged_before_the_row(tmp_path: Path, log: list[dict], first_loss: str) -> None:
    table = _region(_facts_for(tmp_path, log), "training-results")
    assert _rows(table)[0][0] == first_loss


def test_no_train_runtime_no_table(tmp_path: Path) -> None:
    assert _region(_facts_for(tmp_path, [TRAIN, EVAL]), "training-results") is None


def test_summary_is_the_last_evaluation_anywhere(tmp_path: Path) -> None:
    final = {**EVAL, "eval_accuracy": 0.875, "eval_loss": 0.25, "eval_samples_per_second": 9.0, "step": 4}
    summary = _region(_facts_for(tmp_path, [TRAIN, EVAL, SUMMARY, final]), "eval-results")
    assert summary.splitlines()[1:] == ["- Loss: 0.25", "- Accuracy: 0.875"]


def test_card_column_order_is_kept(tmp_path: Path) -> None:
    facts = _facts_for(tmp_path, [TRAIN, EVAL, SUMMARY])
    previous = "| Training Loss | Epoch | Step | Accuracy | Validation Loss |\n|:-:|:-:|:-:|:-:|:-:|\n"
    table = _region(facts, "training-results", previous)
    assert table.splitlines()[0].split("|")[4].strip() == "Accuracy"
    assert _rows(table)[0][3:] == ["0.5", "0.7"]
