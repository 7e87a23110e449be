"""Facts built by hand (no model needed) and small helpers for the sync tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from cardguard.artifacts import Facts
from cardguard.artifacts.config import ConfigFacts
from cardguard.artifacts.training import LogEntry, ResultsFacts, TrainingStateFacts
from cardguard.artifacts.weights import WeightsFacts
from cardguard.card.reader import parse_card
from cardguard.card.reader import Card
from cardguard.edit.sync import SyncPlan, plan_sync
from cardguard.expect.expected import ExpectOptions, derive_expected
from cardguard.findings import Finding
from cardguard.rules.drift import check_drift


def classifier_facts(accuracy: float = 0.75, steps: tuple[int, ...] = (6, 12)) -> Facts:
    """A text classifier with three labels, a training log and eval results."""
    facts = Facts(model_dir="tiny-classifier")
    facts.config = ConfigFacts(
        model_type="bert", architectures=["BertForSequenceClassification"], vocab_size=34, context_length=32,
        id2label={"0": "negative", "1": "neutral", "2": "positive"}, transformers_version="5.24.0",
    )
    facts.weights = WeightsFacts(format="safetensors", files=["model.safetensors"], parameters=20483,
                                 parameters_by_dtype={"F32": 20483})
    state = TrainingStateFacts(global_step=steps[-1], epoch=float(len(steps)))
    for epoch, step in enumerate(steps, start=1):
        position = 2 * (epoch - 1)
        state.train_rows.append(LogEntry({"epoch": float(epoch), "loss": 1.0 / epoch, "step": step}, position))
        state.eval_rows.append(LogEntry({"epoch": float(epoch), "eval_accuracy": accuracy, "eval_loss": 0.5 / epoch,
                                         "step": step}, position + 1))
    end = 2 * len(steps)
    state.summary_row = LogEntry({"epoch": float(len(steps)), "step": steps[-1], "train_runtime": 1.0}, end)
    state.first_summary_position = end
    facts.training_state = state
    facts.results = ResultsFacts(splits={"eval": {"epoch": float(len(steps)), "eval_accuracy": accuracy,
                                                  "eval_loss": 0.5 / len(steps)}})
    return facts


def plan_card(card: Card, facts: Facts, options: ExpectOptions = ExpectOptions()) -> SyncPlan:
    """The sync plan for ``card``, from what is expected of it beside ``facts``."""
    return plan_sync(card, derive_expected(card, facts, options))


def drift_of(card: Card, facts: Facts) -> list[Finding]:
    """The drift findings for ``card``, from what is expected of it beside ``facts``."""
    return check_drift(card, facts, derive_expected(card, facts))


def plan_text(text: str, facts: Facts, **options: object) -> SyncPlan:
    return plan_card(parse_card(text, "README.md"), facts, ExpectOptions(**options))  # type: ignore[arg-type]


def sync_text(text: str, facts: Facts, **options: object) -> str:
    return plan_text(text, facts, **options).new_text


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def copy_with_config(run_out: Path, tmp_path: Path, config: str) -> Path:
    """A copy of a generated output folder at ``tmp_path/model`` with ``config`` as its
    ``.cardguard.toml``."""
    folder = tmp_path / "model"
    shutil.copytree(run_out, folder)
    (folder / ".cardguard.toml").write_text(config, encoding="utf-8")
    return folder
