"""CG313: artifacts of one folder that contradict each other (files of two training runs mixed).

trainer_state.json's last evaluation against eval_results.json, and its train_batch_size against
training_args.bin, and all_results.json against each split's results file, compared in one place
(facts_compare.artifact_disagreements)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cardguard.artifacts import Facts
from cardguard.artifacts.training_args import TrainingArgsFacts
from cardguard.cli import main
from tests.sync.helpers import classifier_facts, copy_with_config

CONFIG = 'profile = "minimal"\n'


def _folder(run_out: Path, tmp_path: Path) -> Path:
    return copy_with_config(run_out, tmp_path, CONFIG)


def _cg313(folder: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    main(["check", str(folder)])
    return [line for line in capsys.readouterr().out.splitlines() if " CG313 " in line]


def _edit_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data, indent=4, sort_keys=True), encoding="utf-8")


@pytest.mark.parametrize("fixture", ["trainer_classifier_run", "continued_classifier_run", "peft_lora_run",
                                     "sentence_transformer_run"])
def test_one_runs_files_agree(fixture: str, request: pytest.FixtureRequest, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    assert _cg313(_folder(request.getfixturevalue(fixture).out, tmp_path), capsys) == []


def test_results_file_of_an_earlier_run(trainer_classifier_run, continued_classifier_run, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(continued_classifier_run.out, tmp_path)
    for results in trainer_classifier_run.out.glob("*_results.json"):  # all the earlier run's results files
        shutil.copy(results, folder / results.name)
    found = _cg313(folder, capsys)
    assert len(found) == 1, found
    assert "model/trainer_state.json:1:1: CG313 warning:" in found[0]
    assert "eval_results.json" in found[0] and "epoch 3" in found[0] and "epoch 2" in found[0]


def test_same_evaluation_with_other_values(continued_classifier_run, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(continued_classifier_run.out, tmp_path)
    for name in ("eval_results.json", "all_results.json"):  # edited alike: all_results.json is compared below
        _edit_json(folder / name, eval_accuracy=0.5)
    found = _cg313(folder, capsys)
    assert len(found) == 1 and "accuracy" in found[0] and "eval_results.json" in found[0], found


def test_a_rounded_value_is_the_same_value(continued_classifier_run, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(continued_classifier_run.out, tmp_path)
    accuracy = continued_classifier_run.eval_metrics["eval_accuracy"]
    _edit_json(folder / "eval_results.json", eval_accuracy=round(accuracy, 4))
    assert _cg313(folder, capsys) == []


def test_train_batch_size_of_another_run(trainer_classifier_run, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(trainer_classifier_run.out, tmp_path)
    batch = trainer_classifier_run.training_args["per_device_train_batch_size"]
    _edit_json(folder / "trainer_state.json", train_batch_size=batch * 4)
    found = _cg313(folder, capsys)
    assert len(found) == 1, found
    assert "training_args.bin" in found[0] and f"train_batch_size {batch * 4}" in found[0]


# -- what Trainer itself produces is not a contradiction -------------------------------------------

def artifact_disagreements(facts: Facts) -> list:  # imported here: the CLI tests above must run on code without it
    from cardguard.expect.facts_compare import artifact_disagreements as compare

    return compare(facts)


def test_best_checkpoint_reloaded_is_not_a_contradiction() -> None:
    facts = classifier_facts(accuracy=0.75)
    facts.results.splits["eval"]["eval_accuracy"] = 0.9  # evaluate() after load_best_model_at_end
    assert [item.other for item in artifact_disagreements(facts)] == ["eval_results.json"]
    facts.training_state.best_model_checkpoint = "out/checkpoint-6"
    assert artifact_disagreements(facts) == []
    facts.training_args = TrainingArgsFacts(args_class="TrainingArguments", values={"load_best_model_at_end": True})
    assert artifact_disagreements(facts) == []


def test_evaluation_at_another_step_is_not_a_contradiction() -> None:
    facts = classifier_facts(accuracy=0.75)
    facts.training_state.epoch = 2.5  # training went on after the last logged evaluation (epoch 2)
    facts.results.splits["eval"].update(epoch=2.5, eval_accuracy=0.9)
    assert artifact_disagreements(facts) == []


def test_auto_found_batch_size_is_not_a_contradiction() -> None:
    facts = classifier_facts()
    facts.training_state.train_batch_size = 4
    facts.training_args = TrainingArgsFacts(args_class="TrainingArguments", train_batch_size=16)
    assert [item.other for item in artifact_disagreements(facts)] == ["training_args.bin"]
    facts.training_args = TrainingArgsFacts(args_class="TrainingArguments", train_batch_size=16,
                                            values={"auto_find_batch_size": True})
    assert artifact_disagreements(facts) == []


def test_an_epoch_logged_rounded_is_the_same_epoch() -> None:
    """transformers 4.x logged the epoch rounded to 2 decimals (seen on a real Whisper run:
    trainer_state.json epoch 12.224938875305623, eval_results.json 12.22)."""
    facts = classifier_facts(accuracy=0.75)
    facts.training_state.epoch = 2.004938875305623
    facts.results.splits["eval"]["epoch"] = 2.0
    assert artifact_disagreements(facts) == []
    facts.results.splits["eval"]["epoch"] = 1.99
    assert [item.other for item in artifact_disagreements(facts)] == ["eval_results.json"]


def test_all_results_edited_apart_from_eval_results(trainer_classifier_run, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The card follows eval_results.json: an all_results.json that says otherwise is shown."""
    folder = _folder(trainer_classifier_run.out, tmp_path)
    assert _cg313(folder, capsys) == []
    _edit_json(folder / "all_results.json", eval_accuracy=0.123456)
    found = _cg313(folder, capsys)
    assert len(found) == 1, found
    assert "model/all_results.json:1:1: CG313 warning:" in found[0]
    assert "eval_accuracy 0.123456 vs" in found[0] and "eval_results.json" in found[0]


def test_a_model_at_the_top_shows_its_files_relative(trainer_classifier_run, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A hook runs in the repository; a model at its top shows its files as the card is shown."""
    folder = _folder(trainer_classifier_run.out, tmp_path)
    _edit_json(folder / "all_results.json", eval_accuracy=0.123456)
    monkeypatch.chdir(folder)
    capsys.readouterr()
    main(["check", "README.md"])
    found = [line for line in capsys.readouterr().out.splitlines() if " CG313 " in line]
    assert len(found) == 1 and found[0].startswith("all_results.json:1:1: CG313 warning:"), found


def test_all_results_holds_the_last_epoch_saved() -> None:
    """all_results.json keeps the epoch of the last split saved; only a metric is compared."""
    facts = classifier_facts(accuracy=0.75)
    facts.results.splits["all"] = {**facts.results.splits["eval"], "epoch": 3.0}
    facts.results.splits["train"] = {"epoch": 2.0, "train_loss": 0.5}
    assert artifact_disagreements(facts) == []
    facts.results.splits["all"]["train_loss"] = 0.4
    assert [(item.file, item.other) for item in artifact_disagreements(facts)] == [("all_results.json",
                                                                                 "train_results.json")]
