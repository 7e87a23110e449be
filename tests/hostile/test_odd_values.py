"""Issue 11, item 12: odd values that reach code expecting well-behaved ones.

Each class of value goes through the real CLI (a child process): the run ends with findings
(exit 1) or clean (exit 0), never a traceback, an internal error or CG000. Then: lone
surrogates become U+FFFD in facts and in what sync writes; a file name that is not UTF-8 is
escaped in every report format; and when a card does hit a bug, that card is reported as CG000
and the run goes on with the next one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import pytest

from cardguard.run import sync_run, validate
from cardguard.cli import main
from tests.hostile.helpers import (CLASSIFIER_CONFIG, GAVE_UP_ON_A_CARD, CliRun, classifier_repo, pickle_opcodes, run_cli,
                                   torch_zip)

HUGE_DIGITS = "1" + "0" * 5000  # past Python's 4,300-digit int<->str bound
HUGE_INT = 10**5000  # the same number: int(HUGE_DIGITS) would raise
TOO_BIG_FOR_FLOAT = "1" + "0" * 400  # converts to str, but float() overflows
HEX_THOUSANDS = "0x" + "f" * 5000
DATE = "2020-01-01"


# -- the values, each written into a repo ------------------------------------------------------

def _config(repo: Path, **changes: object) -> None:
    (repo / "config.json").write_text(json.dumps({**CLASSIFIER_CONFIG, **changes}), encoding="utf-8")


def _id2label_superscript(repo: Path) -> None:
    _config(repo, id2label={"0": "negative", "\u00b2": "positive"})


def _id2label_double_minus(repo: Path) -> None:
    _config(repo, id2label={"--1": "negative", "0": "positive"})


def _lone_surrogate_json(repo: Path) -> None:
    # json.dumps would escape it too; written by hand to show the bytes: an escaped lone surrogate.
    (repo / "config.json").write_text(
        '{"model_type": "bert", "architectures": ["Bert\\ud800"], '
        '"id2label": {"0": "neg\\udfff", "1": "pos\\ud800"}}', encoding="utf-8")


def _int_in_float_fields(repo: Path) -> None:
    (repo / "trainer_state.json").write_text(
        f'{{"epoch": {TOO_BIG_FOR_FLOAT}, "best_metric": {TOO_BIG_FOR_FLOAT}, "total_flos": {TOO_BIG_FOR_FLOAT}, '
        f'"global_step": 3, "log_history": [{{"eval_loss": {TOO_BIG_FOR_FLOAT}, "epoch": {TOO_BIG_FOR_FLOAT}, '
        f'"step": 3}}]}}', encoding="utf-8")
    (repo / "generation_config.json").write_text(f'{{"temperature": {TOO_BIG_FOR_FLOAT}}}', encoding="utf-8")


def _int_past_str_bound_in_json(repo: Path) -> None:
    (repo / "trainer_state.json").write_text(f'{{"epoch": {HUGE_DIGITS}, "log_history": []}}', encoding="utf-8")


def _digits_in_a_string_field(repo: Path) -> None:
    # Text, but YAML would read the plain scalar as an int: sync must quote it, not load it.
    (repo / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "base_model_name_or_path": HUGE_DIGITS}),
                                              encoding="utf-8")




def _int_in_training_args(repo: Path, huge: int = HUGE_INT) -> None:
    # pickled as LONG4: binary, so unpickling is not bound by Python's digit limit
    state = {"learning_rate": huge, "num_train_epochs": huge, "warmup_steps": huge, "seed": huge,
             "per_device_train_batch_size": huge, "gradient_accumulation_steps": huge, "max_steps": -huge}
    data = (b"\x80\x02ctransformers.training_args\nTrainingArguments\n)\x81" + pickle_opcodes(state) + b"b.")
    torch_zip(repo / "training_args.bin", data)


_STATE_DICT = b"\x80\x02ccollections\nOrderedDict\n)R"
_TENSOR = (b"ctorch._utils\n_rebuild_tensor_v2\n(" + b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\n"
           + b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQ" + b"K\x00K\x02K\x02\x86K\x02K\x01\x86\x89)tR")


def _build_sets_ordered_dict_items(repo: Path) -> None:
    torch_zip(repo / "pytorch_model.bin", _STATE_DICT + b"X\x01\x00\x00\x00w" + _TENSOR + b"s"
               + pickle_opcodes({"items": 1, "keys": "x"}) + b"b.")


def _build_sets_tensor_shape(repo: Path) -> None:
    torch_zip(repo / "pytorch_model.bin", _STATE_DICT + b"X\x01\x00\x00\x00w" + _TENSOR
               + pickle_opcodes({"shape": (7,)}) + b"bs.")


def _card(repo: Path, metadata: str) -> None:
    (repo / "README.md").write_text(f"---\n{metadata}\n---\n# Model\n\nMy words.\n", encoding="utf-8")


def _yaml_hex_int(repo: Path) -> None:
    _card(repo, f"license: mit\nbase_model: {HEX_THOUSANDS}\ntags: [{HEX_THOUSANDS}]")


def _yaml_dates_as_keys(repo: Path) -> None:
    _card(repo, f"license: mit\n{DATE}: x\nbase_model: {{{DATE}: 1}}\npipeline_tag: {{{DATE}: 1}}\nco2_eq_emissions: {{{DATE}: 1, emissions: 3}}\nmodel-index:\n"
                f"- name: m\n  {DATE}: x\n  results:\n  - task: {{type: text-classification, {DATE}: 1}}\n"
                f"    dataset: {{name: d, type: d, {DATE}: 1}}\n    metrics:\n"
                f"    - {{type: accuracy, value: 0.5, {DATE}: 1}}")


def _emissions(repo: Path, row: str) -> None:
    (repo / "emissions.csv").write_text(f"emissions,duration,energy_consumed,gpu_count\n{row}\n", encoding="utf-8")


def _inf_in_emissions(repo: Path) -> None:
    _emissions(repo, "inf,inf,-inf,inf")


def _overflowing_emissions(repo: Path) -> None:
    _emissions(repo, f"1e400,0.5,nan,{TOO_BIG_FOR_FLOAT}")


# name: (writes the value into a repo, a code the run must report or None)
ODD_VALUES: dict[str, tuple[Callable[[Path], None], str | None]] = {
    "id2label key '\u00b2'": (_id2label_superscript, "CG312"),
    "id2label key '--1'": (_id2label_double_minus, "CG312"),
    "lone surrogates in JSON strings": (_lone_surrogate_json, None),
    "400-digit ints in float fields": (_int_in_float_fields, "CG312"),
    "5000-digit int in JSON": (_int_past_str_bound_in_json, "CG301"),
    "5000 digits as a string value (managed base_model)": (_digits_in_a_string_field, None),
    # over the pickle walk's digit bound (pickle-int-digits): refused before unpickling
    "5000-digit ints in training_args.bin": (_int_in_training_args, "CG009"),
    # under it, but past what a float or a count can be: the field is skipped
    "60-digit ints in training_args.bin": (lambda repo: _int_in_training_args(repo, 10**60), "CG312"),
    "BUILD sets an OrderedDict's items": (_build_sets_ordered_dict_items, None),  # dropped, as torch's _metadata
    "BUILD sets a tensor record's shape": (_build_sets_tensor_shape, "CG310"),
    "YAML hex ints of 5000 digits": (_yaml_hex_int, "CG009"),
    "YAML dates as mapping keys": (_yaml_dates_as_keys, None),
    "inf in emissions.csv": (_inf_in_emissions, "CG312"),
    "1e400 and nan in emissions.csv": (_overflowing_emissions, "CG312"),
}


def assert_no_crash(run: CliRun) -> None:
    """Findings (1) or clean (0): never a traceback, an internal error, or a card given up on."""
    assert "Traceback" not in run.stderr, run.stderr
    assert "internal error" not in run.stderr, run.stderr
    assert run.returncode in (0, 1), (run.returncode, run.stdout[-2000:], run.stderr)
    assert GAVE_UP_ON_A_CARD not in run.stdout, run.stdout[-2000:]  # SARIF lists CG000 among its rules: look for the finding


@pytest.mark.parametrize("make, code", ODD_VALUES.values(), ids=ODD_VALUES.keys())
def test_odd_value_is_a_finding_or_nothing(tmp_path: Path, make: Callable[[Path], None], code: str | None) -> None:
    repo = classifier_repo(tmp_path / "repo")
    make(repo)
    card_before = (repo / "README.md").read_bytes()
    for command in (["check", "--format", "json"], ["check", "--format", "text"], ["sync", "--check", "--format", "sarif"],
                    ["facts", "--format", "text"]):
        run = run_cli([*command, "."], cwd=repo)
        assert_no_crash(run)
        if command[0] == "check" and command[-1] == "json" and code is not None:
            assert code in run.codes(), run.stdout[-2000:]
    assert (repo / "README.md").read_bytes() == card_before
    synced = run_cli(["sync", "--add-missing", "--format", "json", "."], cwd=repo)
    assert_no_crash(synced)
    (repo / "README.md").read_bytes().decode("utf-8")  # whatever sync wrote is UTF-8 text


def test_lone_surrogates_become_replacement_characters(tmp_path: Path) -> None:
    repo = classifier_repo(tmp_path / "repo")
    _lone_surrogate_json(repo)
    facts = run_cli(["facts", "--format", "json", "."], cwd=repo)
    assert_no_crash(facts)
    labels = json.loads(facts.stdout)["config"]["id2label"]
    assert labels == {"0": "neg\ufffd", "1": "pos\ufffd"}
    synced = run_cli(["sync", "."], cwd=repo)
    assert_no_crash(synced)
    card = (repo / "README.md").read_text(encoding="utf-8")
    assert "neg\ufffd" in card and "pos\ufffd" in card  # the labels region was written, as UTF-8


@pytest.mark.parametrize("output", ["json", "text", "sarif", "github"])
def test_file_name_that_is_not_utf8_is_escaped_in_every_format(tmp_path: Path, output: str) -> None:
    # os.fsdecode gives a lone surrogate for the byte 0xff: the path reaches every report.
    folder = tmp_path / os.fsdecode(b"model-\xff")
    classifier_repo(folder)
    run = run_cli(["check", "--format", output, "."], cwd=folder.parent)
    assert_no_crash(run)
    assert run.returncode == 1 and ("model-\\udcff" in run.stdout or "model-%FF" in run.stdout), run.stdout[-2000:]


# -- one card's internal error never ends the run -------------------------------------------------

def _two_cards(tmp_path: Path) -> tuple[Path, Path]:
    first = classifier_repo(tmp_path / "a-first")
    second = classifier_repo(tmp_path / "b-second")
    return first, second


def _failing_for(folder: Path, real: Callable) -> Callable:
    """``real``, except that it raises a bug's exception for cards inside ``folder``."""
    def wrapper(card, *args, **kwargs):
        if Path(card.path).resolve().parent == folder.resolve():
            raise KeyError("a bug in a rule")
        return real(card, *args, **kwargs)
    return wrapper


@pytest.mark.parametrize("command", ["validate", "check", "sync"])
def test_internal_error_is_cg000_and_the_run_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str], command: str) -> None:
    first, second = _two_cards(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CARDGUARD_DEBUG", raising=False)
    monkeypatch.setattr(validate, "check_sections", _failing_for(first, validate.check_sections))
    monkeypatch.setattr(sync_run, "plan_sync", _failing_for(first, sync_run.plan_sync))
    before = (first / "README.md").read_bytes()

    code = main([command, "--format", "json", "a-first", "b-second"])

    output = capsys.readouterr()
    assert code == 1, output
    assert "Traceback" not in output.err and "internal error" not in output.err
    findings = json.loads(output.out)["findings"]
    crashed = [item for item in findings if item["code"] == "CG000"]
    assert len(crashed) == 1 and crashed[0]["path"].startswith("a-first"), crashed
    assert "KeyError" in crashed[0]["message"] and "a bug in a rule" in crashed[0]["message"]
    assert GAVE_UP_ON_A_CARD in crashed[0]["message"]  # what assert_clean_failure looks for
    assert (first / "README.md").read_bytes() == before  # never written
    if command == "sync":
        assert "stale" not in (second / "README.md").read_text(encoding="utf-8")  # the next card was synced
    else:
        assert any(item["path"].startswith("b-second") for item in findings)  # the next card was checked


def test_internal_error_with_debug_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = _two_cards(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CARDGUARD_DEBUG", "1")
    monkeypatch.setattr(validate, "check_sections", _failing_for(first, validate.check_sections))
    with pytest.raises(KeyError):
        main(["validate", "a-first", "b-second"])
