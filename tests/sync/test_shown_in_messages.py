"""What a finding shows a user: "not set" for a missing value (never Python's None), and diff
headers as git writes them (no ``a//home/...`` for a card given by its absolute path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardguard.cli import main

CONFIG = {"model_type": "bert", "architectures": ["BertForSequenceClassification"],
          "_name_or_path": "google-bert/bert-base-uncased",
          "id2label": {"0": "negative", "1": "positive"}, "label2id": {"negative": 0, "positive": 1}}
# No base_model, library_name or pipeline_tag: sync manages them (CG408 for each), and a
# labels region that no longer matches config.json (CG405, so the card has a diff).
MISSING_KEYS_CARD = ("---\nlicense: mit\n---\n# Model\n\nMy words.\n\n## Labels\n\n"
                     "<!-- cardguard:begin labels -->\nstale\n<!-- cardguard:end labels -->\n")
# A model-index metric whose value is left empty (YAML null) beside eval_results.json (CG413).
EMPTY_METRIC_CARD = """---
license: mit
library_name: transformers
pipeline_tag: text-classification
base_model: google-bert/bert-base-uncased
model-index:
- name: m
  results:
  - task:
      type: text-classification
    dataset:
      name: imdb
      type: imdb
    metrics:
    - type: accuracy
      value:
---
# Model
"""


def model_folder(root: Path, card: str) -> Path:
    folder = root / "model"
    folder.mkdir()
    (folder / "README.md").write_text(card, encoding="utf-8")
    (folder / "config.json").write_text(json.dumps(CONFIG), encoding="utf-8")
    (folder / "eval_results.json").write_text('{"eval_accuracy": 0.9}\n', encoding="utf-8")
    return folder


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[list[dict], str]:
    assert main(["check", "--profile", "minimal", "--format", "json", *args]) == 1
    captured = capsys.readouterr()
    return json.loads(captured.out)["findings"], captured.err


@pytest.mark.parametrize(("card", "code", "expected"), [
    (MISSING_KEYS_CARD, "CG408", "managed metadata base_model is not set; the checkpoint says "
                                 "'google-bert/bert-base-uncased'"),
    (EMPTY_METRIC_CARD, "CG413", "model-index accuracy is not set but the results files say 0.9"),
])
def test_a_missing_value_reads_not_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], card: str, code: str, expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    model_folder(tmp_path, card)
    findings, _ = check_json(capsys, "model")
    messages = [item["message"] for item in findings if item["code"] == code]
    assert expected in messages
    shown = [f"{item['message']} {item['fix'] or ''}" for item in findings]
    assert not [text for text in shown if "None" in text]


@pytest.mark.parametrize("given", ["absolute", "relative"])
def test_diff_headers_have_no_doubled_slash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str], given: str) -> None:
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    folder = model_folder(work, MISSING_KEYS_CARD)
    if given == "absolute":  # run from a folder the card is not below: cardguard shows the absolute path
        monkeypatch.chdir(elsewhere)
        _, diff = check_json(capsys, str(folder))
        card = (folder / "README.md").as_posix().lstrip("/")
    else:
        monkeypatch.chdir(work)
        _, diff = check_json(capsys, "model")
        card = "model/README.md"
    headers = [line for line in diff.splitlines() if line.startswith(("--- ", "+++ "))]
    assert headers == [f"--- a/{card}", f"+++ b/{card}"]
