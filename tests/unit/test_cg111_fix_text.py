"""CG111's fix tells Trainer users which argument fills ``model-index.results``; each claim is
checked against transformers' own path (``TrainingSummary.from_trainer``, as
``Trainer.create_model_card`` and ``push_to_hub`` call it), offline and without a model."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from cardguard.card.reader import parse_card
from cardguard.rules.metadata import check_metadata

EMPTY_RESULTS_CARD = "---\nlicense: mit\nlibrary_name: transformers\nmodel-index:\n- name: m\n  results: []\n---\n# m\n"
# `name=` in backticks: an argument the fix names; "`name=` alone" says it is not enough by itself.
ARGUMENT = re.compile(r"`(\w+)=`( alone)?")
EVALUATED = [{"loss": 0.7, "epoch": 1.0, "step": 2}, {"eval_loss": 0.5, "eval_accuracy": 0.9, "epoch": 1.0, "step": 2},
             {"train_runtime": 1.0, "train_loss": 0.7, "epoch": 1.0, "step": 2}]
LOSS_ONLY = [{"loss": 0.7, "epoch": 1.0, "step": 2}, {"eval_loss": 0.5, "epoch": 1.0, "step": 2},
             {"train_runtime": 1.0, "train_loss": 0.7, "epoch": 1.0, "step": 2}]


class BertForSequenceClassification:  # Trainer infers the task from the model's class name
    config = SimpleNamespace()


def cg111_fix() -> str:
    findings = [item for item in check_metadata(parse_card(EMPTY_RESULTS_CARD, "README.md")) if item.code == "CG111"]
    assert len(findings) == 1
    return findings[0].fix or ""


def trainer_results(output_dir: Path, log_history: list[dict], **arguments: str) -> list:
    """model-index results Trainer writes for a classifier after a run that logged ``log_history``."""
    transformers = pytest.importorskip("transformers")
    from transformers.modelcard import TrainingSummary

    trainer = SimpleNamespace(
        args=transformers.TrainingArguments(output_dir=str(output_dir), report_to=[]),
        model=BertForSequenceClassification(), state=SimpleNamespace(log_history=log_history),
        train_dataset=None, eval_dataset=None,
    )
    summary = TrainingSummary.from_trainer(trainer, license="mit", **arguments)
    return summary.create_metadata()["model-index"][0]["results"]


def test_every_argument_the_fix_names_does_what_it_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    claims = ARGUMENT.findall(cg111_fix())
    assert any(not alone for _, alone in claims), f"the fix names no argument that fills results: {cg111_fix()}"
    for name, alone in claims:
        fills = bool(trainer_results(tmp_path, EVALUATED, **{name: "imdb"}))
        assert fills == (not alone), f"the fix says `{name}=` {'does not fill' if alone else 'fills'} results"


def test_the_loss_alone_fills_no_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert "not just the loss" in cg111_fix()
    assert trainer_results(tmp_path, LOSS_ONLY, dataset_tags="imdb") == []
