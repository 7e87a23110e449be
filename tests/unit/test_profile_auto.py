"""The default profile `auto`: it follows what wrote the card, says which profile it chose and
why, and stays overridable by the configuration and --profile (issue 12, item 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardguard.cli import main

# The layout of sentence-transformers 2.x cards (its ModelCardTemplate), still most ST cards on the Hub.
ST2_CARD = """---
pipeline_tag: sentence-similarity
tags:
- sentence-transformers
- feature-extraction
---

# tiny-st

This is a [sentence-transformers](https://www.SBERT.net) model: It maps sentences to a 8 dimensional dense vector space.

## Usage (Sentence-Transformers)

```python
from sentence_transformers import SentenceTransformer
model = SentenceTransformer("tiny-st")
```

## Evaluation Results

See the benchmark.

## Full Model Architecture

```
SentenceTransformer((0): Transformer, (1): Pooling)
```
"""

HAND_WRITTEN_CARD = """---
license: mit
language: en
---

# My model

It sorts reviews.

## Limitations

English only.
"""

# Trainer's layout, the tag and the comment removed by hand.
TRAINER_LAYOUT_CARD = """---
license: mit
library_name: transformers
---

# tiny

## Model description

A tiny classifier.

## Intended uses & limitations

Sorting reviews.

## Training and evaluation data

IMDB.

## Training procedure

### Training hyperparameters

- learning_rate: 5e-05

### Framework versions

- Transformers 5.24.0
"""

# TRL tags its cards generated_from_trainer too, but writes other sections.
TRL_LIKE_CARD = """---
library_name: transformers
license: mit
tags:
- generated_from_trainer
- trl
---

# Model Card for tiny-sft

## Quick start

Load it with transformers.

## Training procedure

This model was trained with SFT.

### Framework versions

- TRL: 0.20.0
"""

PEFT_TEMPLATE_CARD = """---
library_name: peft
base_model: org/tiny-gpt2
---

# Model Card for tiny-lora

## Model Details

### Model Description

A LoRA adapter.

### Framework versions

- PEFT 0.21.2
"""


def validate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["validate", *argv])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    return code, captured.out


def codes_of(output: str) -> list[str]:
    return [line.split(" ")[1] for line in output.splitlines() if ": CG" in line]


def write_card(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("fixture", "profile"),
    [
        ("trainer_classifier_run", "trainer"),
        ("sentence_transformer_run", "sentence-transformers"),
        # Trainer wrote this LoRA run's card (PEFT then set library_name: peft): its layout is Trainer's.
        ("peft_lora_run", "trainer"),
        ("hub_template_output", "hub"),
    ],
)
def test_a_fresh_library_card_gets_its_writers_profile_and_no_missing_section(
        fixture: str, profile: str, request: pytest.FixtureRequest, capsys) -> None:
    folder = request.getfixturevalue(fixture).out
    _, out = validate(capsys, str(folder))
    assert "CG201" not in codes_of(out), out
    assert f"profile: {profile} (auto: " in out


def test_a_fresh_trainer_card_reports_only_what_is_wrong_with_it(trainer_classifier_run, capsys) -> None:
    """13 missing sections under the old default; now only the template's own leftovers."""
    _, out = validate(capsys, "--format", "json", str(trainer_classifier_run.out))
    document = json.loads(out)
    found = {item["code"] for item in document["findings"]}
    assert found <= {"CG110", "CG119", "CG203", "CG204"}, found
    assert document["profiles"] == [{
        "path": document["profiles"][0]["path"], "profile": "trainer",
        "reason": "written by transformers' Trainer: tag generated_from_trainer, its comment, 6 of its 6 sections",
    }]


@pytest.mark.parametrize(
    ("text", "profile", "because"),
    [
        (HAND_WRITTEN_CARD, "hub", "no library's card layout found"),
        (ST2_CARD, "sentence-transformers", "tag sentence-transformers"),
        (TRAINER_LAYOUT_CARD, "trainer", "6 of its 6 sections"),
        (TRL_LIKE_CARD, "hub", "no library's card layout found"),
        (PEFT_TEMPLATE_CARD, "peft", "library_name peft"),
    ],
    ids=["hand-written", "sentence-transformers-2", "trainer-layout-untagged", "trl-like", "peft-template"],
)
def test_auto_names_the_profile_and_why(text: str, profile: str, because: str, tmp_path: Path, capsys) -> None:
    folder = write_card(tmp_path / "model", text)
    _, out = validate(capsys, "--format", "json", str(folder))
    (chosen,) = json.loads(out)["profiles"]
    assert chosen["profile"] == profile
    assert because in chosen["reason"]
    _, text_out = validate(capsys, str(folder))
    assert text_out.splitlines()[-2].startswith(f"profile: {profile} (auto: ")


def test_a_sentence_transformers_2_card_is_not_missing_sections(tmp_path: Path, capsys) -> None:
    _, out = validate(capsys, str(write_card(tmp_path / "model", ST2_CARD)))
    assert "CG201" not in codes_of(out), out


def test_a_hand_written_card_keeps_the_hub_profile(tmp_path: Path, capsys) -> None:
    _, out = validate(capsys, str(write_card(tmp_path / "model", HAND_WRITTEN_CARD)))
    missing = [line for line in out.splitlines() if " CG201 " in line]
    assert len(missing) == 13  # every section of the Hub's template but one: "Limitations" counts as its "Bias, Risks, and Limitations"
    assert "profile 'hub', chosen by auto: no library's card layout found" in missing[0]


def test_profile_flag_and_configuration_override_auto(trainer_classifier_run, copy_output, capsys) -> None:
    folder = copy_output(trainer_classifier_run).out
    _, out = validate(capsys, "--profile", "hub", str(folder))
    assert codes_of(out).count("CG201") == 13
    assert "auto" not in out.splitlines()[-2]
    (folder / ".cardguard.toml").write_text('profile = "hub"\n', encoding="utf-8")
    _, out = validate(capsys, str(folder))
    assert codes_of(out).count("CG201") == 13
    _, out = validate(capsys, "--profile", "auto", str(folder))  # auto can be asked for by name
    assert "CG201" not in codes_of(out)
    (folder / ".cardguard.toml").write_text('profile = "auto"\n', encoding="utf-8")
    _, out = validate(capsys, str(folder))
    assert "CG201" not in codes_of(out)


def test_the_missing_section_fix_names_the_profile_that_fits(tmp_path: Path, capsys) -> None:
    folder = write_card(tmp_path / "model", TRAINER_LAYOUT_CARD)
    _, out = validate(capsys, "--profile", "hub", str(folder))
    missing = [line for line in out.splitlines() if " CG201 " in line]
    assert missing and all('set profile = "trainer" (the card has all of its sections)' in line for line in missing)
    _, out = validate(capsys, "--profile", "trainer", str(write_card(tmp_path / "other", HAND_WRITTEN_CARD)))
    missing = [line for line in out.splitlines() if " CG201 " in line]
    assert missing and all('set profile = "minimal"' in line for line in missing)


def test_several_cards_show_how_many_got_each_profile(tmp_path: Path, capsys) -> None:
    write_card(tmp_path / "a", HAND_WRITTEN_CARD)
    write_card(tmp_path / "b", TRAINER_LAYOUT_CARD)
    write_card(tmp_path / "c", HAND_WRITTEN_CARD)
    _, out = validate(capsys, str(tmp_path))
    assert "profiles chosen by auto: hub 2, trainer 1" in out.splitlines()[-2]


@pytest.mark.parametrize("fixture", ["trainer_classifier_run", "sentence_transformer_run"])
def test_a_card_cardguard_init_wrote_has_all_its_sections_under_auto(
        fixture: str, request: pytest.FixtureRequest, copy_output, capsys) -> None:
    """init writes the Hub's template, whatever the library: auto must not hold it to the
    library's own layout (the tags init fills in name the library)."""
    folder = copy_output(request.getfixturevalue(fixture)).out
    (folder / "README.md").unlink()
    assert main(["init", str(folder)]) == 0
    capsys.readouterr()
    _, out = validate(capsys, str(folder))
    assert "CG201" not in codes_of(out), out
    assert "profile: hub (auto: the card has every section of the hub profile)" in out


def test_the_fix_knows_a_libraries_older_layout(tmp_path: Path, capsys) -> None:
    _, out = validate(capsys, "--profile", "hub", str(write_card(tmp_path / "model", ST2_CARD)))
    missing = [line for line in out.splitlines() if " CG201 " in line]
    assert missing and all('set profile = "sentence-transformers"' in line for line in missing)


def test_check_names_the_profile_too(trainer_classifier_run, copy_output, capsys) -> None:
    folder = copy_output(trainer_classifier_run).out
    main(["check", str(folder)])
    out = capsys.readouterr().out
    assert "CG201" not in codes_of(out)
    assert "profile: trainer (auto: written by transformers' Trainer" in out


def test_required_regions_are_listed_by_the_profiles_auto_chooses(tmp_path: Path, capsys) -> None:
    folder = write_card(tmp_path / "model", HAND_WRITTEN_CARD)
    (folder / ".cardguard.toml").write_text('[required-regions]\nauto = ["hyperparameters"]\n', encoding="utf-8")
    assert main(["validate", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "name the profiles auto chooses between" in err[0], err
