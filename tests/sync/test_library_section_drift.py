"""CG419: the sections a library wrote, without cardguard's markers, are checked against the facts.

A card straight from Trainer / sentence-transformers / PEFT has no markers. A retrained
checkpoint under that card must fail `check` with a diff of the stale sections; the library's
fresh card must not (false alarms would be worse than the miss).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cardguard.cli import main
from tests.sync.helpers import classifier_facts, plan_text, read

# Trainer's own card has defects validate reports (model-index `config: null`, its "More
# information needed" placeholders, no pipeline_tag): not what these tests are about.
CONFIG = 'profile = "minimal"\nignore = ["CG110", "CG203", "CG408"]\n'
TRAINING_FILES = ("trainer_state.json", "eval_results.json", "all_results.json", "train_results.json",
                  "training_args.bin", "model.safetensors", "config.json")


def _folder(run_out: Path, tmp_path: Path, name: str = "model") -> Path:
    folder = tmp_path / name
    shutil.copytree(run_out, folder)
    (folder / ".cardguard.toml").write_text(CONFIG, encoding="utf-8")
    return folder


def _check(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["check", str(folder)])
    return status, capsys.readouterr().out


def _retrained(first: Path, second: Path, tmp_path: Path) -> Path:
    """The second run's checkpoint files under the first run's card (the card was not touched)."""
    folder = _folder(first, tmp_path)
    for name in TRAINING_FILES:
        shutil.copy(second / name, folder / name)
    return folder


@pytest.mark.parametrize("fixture", ["trainer_classifier_run", "continued_classifier_run",
                                     "sentence_transformer_run", "peft_lora_run"])
def test_fresh_library_card_has_no_library_drift(fixture: str, request: pytest.FixtureRequest, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(request.getfixturevalue(fixture).out, tmp_path)
    _, out = _check(folder, capsys)
    assert "CG419" not in out, out


def test_retrained_trainer_checkpoint_under_its_old_card_is_drift(
        trainer_classifier_run, continued_classifier_run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _retrained(trainer_classifier_run.out, continued_classifier_run.out, tmp_path)
    card = read(folder / "README.md")
    status, out = _check(folder, capsys)
    assert status == 1
    flagged = {line.split("(")[1].split(")")[0] for line in out.splitlines() if " CG419 error: " in line}
    assert flagged == {"eval-results", "hyperparameters", "training-results"}
    assert "sync --add-missing" in out
    # The diff shows the stale values against the checkpoint's.
    assert "-- num_epochs: 2\n" in out and "+- num_epochs: 3\n" in out
    assert f"+- Accuracy: {round(continued_classifier_run.eval_metrics['eval_accuracy'], 4)}\n" in out
    assert any(line.startswith("+|") and "| 18 " in line for line in out.splitlines())  # the third epoch's row
    assert "cardguard:begin" not in out  # the diff is about the facts, not the markers
    assert read(folder / "README.md") == card  # check writes nothing


def test_stale_card_without_model_index_metrics_fails_check(
        trainer_classifier_run, continued_classifier_run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Trainer writes `results: []` when it does not know the evaluation dataset: then nothing but
    the library's own sections states a number, and only they can show the card is stale."""
    folder = _retrained(trainer_classifier_run.out, continued_classifier_run.out, tmp_path)
    card = read(folder / "README.md")
    metadata_end = card.index("\n---\n", 4)
    head = card[:card.index("model-index:")] + "model-index:\n- name: tiny-bert-imdb\n  results: []\n"
    (folder / "README.md").write_text(head + card[metadata_end + 1:], encoding="utf-8")
    (folder / ".cardguard.toml").write_text(CONFIG.replace('"CG408"', '"CG408", "CG111"'), encoding="utf-8")
    status, out = _check(folder, capsys)
    assert "CG413" not in out
    assert status == 1, out
    assert out.count(" CG419 error: ") == 3


def test_sync_add_missing_puts_the_sections_under_management(
        trainer_classifier_run, continued_classifier_run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _retrained(trainer_classifier_run.out, continued_classifier_run.out, tmp_path)
    assert main(["sync", "--add-missing", str(folder)]) == 1
    status, out = _check(folder, capsys)
    assert "CG419" not in out and "CG405" not in out, out
    assert status == 0, out
    assert "<!-- cardguard:begin hyperparameters -->" in read(folder / "README.md")


@pytest.mark.parametrize("fixture, artifact, changes, region", [
    # retrained with CLS pooling: sentence-transformers' "Full Model Architecture" repr is stale
    ("sentence_transformer_run", "1_Pooling/config.json", {"pooling_mode": "cls"}, "st-architecture"),
    # the adapter saved again by a newer PEFT: its "- PEFT x.y" line is stale
    ("peft_lora_run", "adapter_config.json", {"peft_version": "0.99.0"}, "framework-versions"),
    # the model saved again by a newer transformers: Trainer's "- Transformers x.y" line is stale
    ("trainer_classifier_run", "config.json", {"transformers_version": "9.0.0"}, "framework-versions"),
])
def test_sentence_transformers_and_peft_sections_drift(fixture: str, artifact: str, changes: dict, region: str,
                                                       request: pytest.FixtureRequest, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(request.getfixturevalue(fixture).out, tmp_path)
    path = folder / artifact
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), **changes}, indent=2),
                    encoding="utf-8")
    status, out = _check(folder, capsys)
    flagged = [line for line in out.splitlines() if " CG419 error: " in line]
    assert status == 1 and len(flagged) == 1 and f"({region})" in flagged[0], out
    new_value = next(iter(changes.values()))
    assert any(line.startswith("+") and new_value in line for line in out.splitlines()), out


def test_unknown_facts_are_never_library_drift(trainer_classifier_run, continued_classifier_run, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = _retrained(trainer_classifier_run.out, continued_classifier_run.out, tmp_path)
    for name in ("trainer_state.json", "eval_results.json", "all_results.json", "training_args.bin"):
        (folder / name).unlink()
    _, out = _check(folder, capsys)
    assert "CG419" not in out, out


def test_json_output_carries_the_finding_and_the_diff_goes_to_stderr(
        trainer_classifier_run, continued_classifier_run, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _retrained(trainer_classifier_run.out, continued_classifier_run.out, tmp_path)
    capsys.readouterr()
    assert main(["check", "--format", "json", str(folder)]) == 1
    captured = capsys.readouterr()
    assert '"CG419"' in captured.out
    assert "+- num_epochs: 3" in captured.err


# -- the comparison is sync's: formatting sync ignores is not drift -------------------------------

TRAINER_BODY = """\
---
license: mit
---
# tiny-classifier

It achieves the following results on the evaluation set:
{results}

### Training results

{table}
"""
RESULTS = "- Loss: 0.25\n- Accuracy: 0.75"
TABLE = """\
| Training Loss | Epoch | Step | Validation Loss | Accuracy |
|:-------------:|:-----:|:----:|:---------------:|:--------:|
| 1.0           | 1.0   | 6    | 0.5             | 0.75     |
| 0.5           | 2.0   | 12   | 0.25            | 0.75     |"""


def _drifted(text: str, accuracy: float = 0.75) -> list[str]:
    plan = plan_text(text, classifier_facts(accuracy=accuracy), compare_library_sections=True)
    return sorted(section.name for section in plan.library_drift)


def test_matching_sections_are_not_drift() -> None:
    assert _drifted(TRAINER_BODY.format(results=RESULTS, table=TABLE)) == []


@pytest.mark.parametrize("results, table", [
    ("- Accuracy: 0.75\n- Loss: 0.25", TABLE),  # bullet order
    ("- Loss: 0.25  \n- Accuracy: 0.750", TABLE),  # trailing spaces, a trailing zero
    (RESULTS, TABLE.replace("|:-------------:|", "|---|").replace("1.0           |", "1.0 |")),  # padding, alignment
])
def test_formatting_sync_ignores_is_not_drift(results: str, table: str) -> None:
    assert _drifted(TRAINER_BODY.format(results=results, table=table)) == []


def test_a_changed_value_is_drift_in_its_section_only() -> None:
    assert _drifted(TRAINER_BODY.format(results=RESULTS, table=TABLE), accuracy=0.8) == ["eval-results", "training-results"]
    assert _drifted(TRAINER_BODY.format(results=RESULTS.replace("0.25", "0.3"), table=TABLE)) == ["eval-results"]


def test_library_lines_inside_another_region_are_left_to_that_region() -> None:
    text = TRAINER_BODY.format(results=RESULTS.replace("0.25", "0.3"), table=TABLE).replace(
        "It achieves", "<!-- cardguard:begin get-started -->\nIt achieves").replace(
        "\n\n### Training results", "\n<!-- cardguard:end get-started -->\n\n### Training results")
    assert _drifted(text) == []


def test_sync_without_the_option_reports_nothing() -> None:
    plan = plan_text(TRAINER_BODY.format(results=RESULTS, table=TABLE), classifier_facts(accuracy=0.8))
    assert plan.library_drift == [] and plan.checked_text is None


def test_lines_two_library_sections_could_claim_are_compared_once() -> None:
    """A results sentence followed by version-like lines under "Framework versions": the lines
    are one section's (the first found), never two overlapping edits."""
    text = "---\nlicense: mit\n---\n# m\n\n### Framework versions\n\n" \
           "It achieves the following results on the evaluation set:\n- Transformers: 4.0\n"
    facts = classifier_facts()
    plan = plan_text(text, facts, compare_library_sections=True)
    assert len(plan.library_drift) == 1
    assert plan.checked_text is not None and plan.checked_text.count("It achieves") <= 1


def test_add_missing_adopts_lines_two_sections_could_claim_once() -> None:
    """The fix CG419 names must work on the same card: one region, no overlapping edits (CG000)."""
    text = "---\nlicense: mit\n---\n# m\n\n### Framework versions\n\n" \
           "It achieves the following results on the evaluation set:\n- Transformers: 4.0\n"
    plan = plan_text(text, classifier_facts(), add_missing=True)
    assert [change.name for change in plan.region_changes] == ["eval-results"]
    assert plan.new_text.count("cardguard:begin") == 1
