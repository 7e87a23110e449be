"""Cards written by Trainer, sentence-transformers and PEFT, synced: the generated sections carry
the facts the library wrote, and the author's prose is untouched."""

from __future__ import annotations

import pytest

from cardguard.artifacts import read_facts
from cardguard.card.reader import parse_card
from cardguard.card.regions import scan_regions
from cardguard.expect.expected import ExpectOptions
from tests.sync.helpers import plan_card, read


def _synced(folder):
    text = read(folder / "README.md")
    plan = plan_card(parse_card(text, "README.md"), read_facts(folder), ExpectOptions(add_missing=True))
    return text, plan


def _region_text(text: str, name: str) -> str:
    region = scan_regions(text, "README.md").by_name()[name]
    return text[region.content_start:region.content_end]


def _without_markers(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if "cardguard:" not in line)


def _body(text: str) -> str:
    return text.split("\n---\n", 1)[1]


@pytest.mark.parametrize("fixture", ["trainer_classifier_run", "peft_lora_run"])
def test_trainer_style_card_keeps_library_text(fixture: str, request: pytest.FixtureRequest) -> None:
    run = request.getfixturevalue(fixture)
    original, plan = _synced(run.out)
    assert not plan.findings
    adopted = {change.name for change in plan.region_changes}
    assert {"hyperparameters", "training-results", "framework-versions"} <= adopted
    # Adopted sections say the same as the library wrote, so the library's bytes are kept:
    # the body differs from the original only by the marker lines.
    assert _without_markers(_body(plan.new_text)) == _body(original)
    hyperparameters = _region_text(plan.new_text, "hyperparameters").split("\n")
    if fixture == "trainer_classifier_run":
        assert f"- learning_rate: {run.training_args['learning_rate']}" in hyperparameters
        assert f"- seed: {run.training_args['seed']}" in hyperparameters
    else:
        assert f"- PEFT {run.versions.peft}" in _region_text(plan.new_text, "framework-versions")


def test_trainer_results_region_has_trainers_numbers(trainer_classifier_run) -> None:
    original, plan = _synced(trainer_classifier_run.out)
    table = _region_text(plan.new_text, "training-results")
    assert table in original
    results = _region_text(plan.new_text, "eval-results")
    assert f"- Accuracy: {trainer_classifier_run.eval_metrics['eval_accuracy']}" in results.split("\n")


def test_sentence_transformers_card(sentence_transformer_run) -> None:
    original, plan = _synced(sentence_transformer_run.out)
    assert not plan.findings
    assert _without_markers(_body(plan.new_text)) == _body(original)
    adopted = {change.name for change in plan.region_changes}
    assert {"st-architecture", "framework-versions"} <= adopted
    assert sentence_transformer_run.model_repr in _region_text(plan.new_text, "st-architecture")
    versions = _region_text(plan.new_text, "framework-versions")
    assert f"- Sentence Transformers: {sentence_transformer_run.versions.sentence_transformers}" in versions


def test_peft_metadata_follows_adapter(peft_lora_run) -> None:
    original, plan = _synced(peft_lora_run.out)
    metadata = parse_card(plan.new_text, "README.md").metadata
    assert metadata["library_name"] == "peft"
    assert metadata["pipeline_tag"] == "text-generation"
    assert "lora" in metadata["tags"]
