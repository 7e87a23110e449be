"""model-index results and the Hub's `.eval_results/*.yaml` files from the results files:
metrics are added beside hand-written entries, a model-index is created only when the
dataset is known, and `.eval_results` entries are written, merged and checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cardguard.card.reader import parse_card
from cardguard.cli import main
from cardguard.expect.evaluation import EvaluationTarget
from cardguard.rules.eval_results import check_eval_results
from tests.sync.helpers import classifier_facts, plan_text, read

INDEX_CARD = """\
---
license: apache-2.0  # kept
model-index:
- name: tiny
  results:
  - task:
      type: text-classification
    dataset:
      name: IMDB
      type: stanfordnlp/imdb
    metrics:
    - type: accuracy
      value: 0.75
    - type: precision  # written by hand
      value: 0.5
---
# Tiny

Prose.
"""


def _facts(f1: float = 0.625):
    facts = classifier_facts()
    facts.results.splits["eval"]["eval_f1"] = f1
    return facts


def test_missing_metric_is_added_beside_hand_entries() -> None:
    plan = plan_text(INDEX_CARD, _facts(), managed_keys=("model-index",))
    metrics = parse_card(plan.new_text, "README.md").metadata["model-index"][0]["results"][0]["metrics"]
    assert metrics == [{"type": "accuracy", "value": 0.75}, {"type": "precision", "value": 0.5},
                       {"name": "F1", "type": "f1", "value": 0.625}]
    assert plan.new_text.startswith(INDEX_CARD.split("---\n# Tiny")[0])  # only lines added at the end of the list
    assert plan_text(plan.new_text, _facts(), managed_keys=("model-index",)).new_text == plan.new_text


CARD_WITHOUT_INDEX = "---\nlicense: apache-2.0\n{extra}---\n# Tiny\n"


@pytest.mark.parametrize(("extra", "target", "dataset"), [
    ("", EvaluationTarget(dataset="stanfordnlp/imdb", model_name="tiny"), "stanfordnlp/imdb"),
    ("datasets:\n- stanfordnlp/imdb\n", EvaluationTarget(), "stanfordnlp/imdb"),
    ("", EvaluationTarget(), None),  # the dataset is not known: nothing is created
    ("datasets:\n- a/one\n- b/two\n", EvaluationTarget(), None),  # which one is not known
])
def test_model_index_is_created_when_the_dataset_is_known(extra: str, target: EvaluationTarget,
                                                          dataset: str | None) -> None:
    text = CARD_WITHOUT_INDEX.format(extra=extra)
    plan = plan_text(text, _facts(), managed_keys=("model-index",), evaluation=target)
    index = parse_card(plan.new_text, "README.md").metadata.get("model-index")
    if dataset is None:
        assert plan.new_text == text
        return
    result = index[0]["results"][0]
    assert result["task"] == {"name": "Text Classification", "type": "text-classification"}
    assert result["dataset"] == {"name": dataset, "type": dataset}
    assert [(m["type"], m["value"]) for m in result["metrics"]] == [("accuracy", 0.75), ("f1", 0.625)]
    assert not plan.findings


# -- .eval_results files through the CLI ------------------------------------------------------

CONFIG = 'profile = "minimal"\neval-results-files = true\nmanaged-keys = ["model-index"]\n'


@pytest.fixture()
def model(tmp_path: Path) -> Path:
    (tmp_path / ".cardguard.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "README.md").write_text(INDEX_CARD.replace("license: apache-2.0  # kept",
                                                           "license: apache-2.0\nlibrary_name: transformers"))
    _results(tmp_path, 0.75)
    return tmp_path


def _results(folder: Path, accuracy: float) -> None:
    (folder / "eval_results.json").write_text(json.dumps({"eval_accuracy": accuracy, "eval_loss": 0.3}))


def _entries(path: Path) -> list:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_sync_writes_a_valid_eval_results_file(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(model)]) == 1
    assert "CG417" in capsys.readouterr().out
    assert main(["sync", str(model)]) == 1
    written = model / ".eval_results" / "imdb.yaml"
    assert _entries(written) == [{"dataset": {"id": "stanfordnlp/imdb", "task_id": "default"}, "value": 0.75}]
    assert check_eval_results(_entries(written), "imdb.yaml", lambda path: (1, 1)) == []
    capsys.readouterr()
    assert main(["check", str(model)]) == 0, capsys.readouterr().out
    assert main(["validate", str(model)]) == 0


def test_hand_entries_are_kept_and_a_new_value_is_drift(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = model / ".eval_results"
    folder.mkdir()
    hand = ("# scores from the leaderboard\n- dataset:\n    id: org/other\n    task_id: t1\n  value: 20.5\n"
            "- dataset:\n    id: stanfordnlp/imdb\n    task_id: default\n  value: 0.75  # ours\n")
    (folder / "scores.yaml").write_text(hand, encoding="utf-8")
    assert main(["check", str(model)]) == 0, capsys.readouterr().out
    _results(model, 0.8125)
    capsys.readouterr()
    assert main(["sync", "--check", str(model)]) == 1
    out = capsys.readouterr().out
    assert "-  value: 0.75  # ours" in out and "+  value: 0.8125  # ours" in out
    assert main(["check", str(model)]) == 1
    assert "CG417" in capsys.readouterr().out
    assert main(["sync", str(model)]) == 1
    assert read(folder / "scores.yaml") == hand.replace("0.75  # ours", "0.8125  # ours")
    assert not (folder / "imdb.yaml").exists()


def test_without_opt_in_nothing_is_written(model: Path) -> None:
    (model / ".cardguard.toml").write_text(CONFIG.replace("true", "false"), encoding="utf-8")
    main(["sync", str(model)])
    assert not (model / ".eval_results").exists()
