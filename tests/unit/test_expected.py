"""The one Expected value per card: what it holds, why a piece is unknown, and that check and
sync read the same one (so they agree on what the card should say)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardguard.artifacts import read_facts
from cardguard.card.reader import parse_card
from cardguard.cli import main
from cardguard.expect.expected import ExpectOptions, derive_expected
from cardguard.expect.managed import Unknown
from tests.sync.helpers import classifier_facts, copy_with_config, plan_card, read

CONFIG = 'profile = "trainer"\nignore = ["CG110", "CG203"]\n'
HEAD = "---\nlibrary_name: transformers\n---\n# Card\n\n"


def test_a_trainer_folder_expects_its_hyperparameters_and_library(trainer_classifier_run) -> None:
    run = trainer_classifier_run
    card = parse_card(read(run.readme), "README.md")
    expected = derive_expected(card, read_facts(run.out), ExpectOptions(compare_library_sections=True))
    hyperparameters = expected.regions()["hyperparameters"]
    assert hyperparameters.place is not None and not hyperparameters.place.marked  # Trainer's own lines
    assert f"- learning_rate: {run.training_args['learning_rate']}\n" in (hyperparameters.text or "")
    assert f"- seed: {run.training_args['seed']}\n" in (hyperparameters.text or "")
    assert hyperparameters.agrees()  # Trainer wrote what the folder says
    assert expected.metadata.library_name == "transformers"
    assert expected.metadata.pipeline_tag == "text-classification"
    assert "generated_from_trainer" in expected.metadata.tags


def test_a_peft_folder_expects_its_base_model(peft_lora_run) -> None:
    run = peft_lora_run
    card = parse_card(read(run.readme), "README.md")
    expected = derive_expected(card, read_facts(run.out))
    assert expected.metadata.base_model == run.base_model_id
    assert f"base_model:adapter:{run.base_model_id}" in expected.metadata.tags


def test_without_trainer_state_the_training_results_say_why() -> None:
    facts = classifier_facts()
    facts.training_state = None
    text = HEAD + "<!-- cardguard:begin training-results -->\n| old |\n<!-- cardguard:end training-results -->\n"
    card = parse_card(text, "README.md")
    expected = derive_expected(card, facts, ExpectOptions(required_regions=("training-results", "labels")))
    (region,) = expected.marked
    assert region.name == "training-results" and region.text is None
    assert "trainer_state.json" in region.reason
    assert plan_card(card, facts, expected.options).region_changes == []  # unknown: left as it is

    bare = parse_card(HEAD, "README.md")
    unfillable = derive_expected(bare, facts, ExpectOptions(required_regions=("training-results", "labels"))).unfillable
    assert list(unfillable) == ["training-results"]  # labels: config.json has id2label
    assert "trainer_state.json" in unfillable["training-results"]


def test_unknown_metadata_says_why() -> None:
    facts = classifier_facts()
    facts.config = None
    expected = derive_expected(parse_card(HEAD, "README.md"), facts)
    assert isinstance(expected.metadata.library_name, Unknown) and "config.json" in expected.metadata.library_name.reason
    assert isinstance(expected.metadata.emissions_g, Unknown) and "emissions" in expected.metadata.emissions_g.reason
    assert "library_name" not in expected.metadata.scalars()


def test_a_failing_template_is_the_reason_and_a_finding(tmp_path: Path) -> None:
    templates = tmp_path / ".cardguard" / "templates"
    templates.mkdir(parents=True)
    (templates / "labels.md.j2").write_text("{{ no_such_name }}\n", encoding="utf-8")
    text = HEAD + "<!-- cardguard:begin labels -->\nold\n<!-- cardguard:end labels -->\n"
    expected = derive_expected(parse_card(text, "README.md"), classifier_facts(),
                               ExpectOptions(override_dirs=lambda: (templates,)))
    (region,) = expected.marked
    assert region.text is None and "template" in region.reason
    assert [(finding.code, finding.line) for finding in expected.findings] == [("CG407", 6)]


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    capsys.readouterr()
    main(argv)
    return json.loads(capsys.readouterr().out)


def test_check_and_sync_read_the_same_expected(trainer_classifier_run, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = copy_with_config(trainer_classifier_run.out, tmp_path, CONFIG)
    main(["sync", "--add-missing", str(folder)])  # the library's sections under markers
    card = folder / "README.md"
    stale = read(card).replace("library_name: transformers", "library_name: peft")
    stale = stale.replace(f"- seed: {trainer_classifier_run.training_args['seed']}\n", "- seed: 12345\n")
    card.write_bytes(stale.encode("utf-8"))

    checked = _json(capsys, ["check", "--format", "json", str(folder)])
    previewed = _json(capsys, ["sync", "--check", "--format", "json", str(folder)])
    codes = {finding["code"] for finding in checked["findings"]}
    assert {"CG405", "CG411"} <= codes  # the region and the managed key both drifted
    assert checked["diffs"] and checked["diffs"] == previewed["diffs"]  # one Expected, one diff
    assert "-library_name: peft" in checked["diffs"][0]["diff"] and "+- seed: 12345" not in checked["diffs"][0]["diff"]

    main(["sync", str(folder)])
    synced = _json(capsys, ["check", "--format", "json", str(folder)])
    drift = {"CG405", "CG406", "CG408", "CG410", "CG411", "CG412", "CG413", "CG419"}
    assert not drift & {finding["code"] for finding in synced["findings"]}, synced["findings"]
    assert synced["diffs"] == []


def test_the_template_folders_are_looked_up_only_when_a_region_is_rendered(tmp_path: Path) -> None:
    lookups: list[str] = []

    def look_up() -> tuple[Path, ...]:
        lookups.append("looked up")
        return ()

    plain = HEAD + "Some prose.\n"
    derive_expected(parse_card(plain, "README.md"), classifier_facts(), ExpectOptions(override_dirs=look_up))
    assert lookups == []
    two_regions = HEAD + "".join(f"<!-- cardguard:begin {name} -->\nold\n<!-- cardguard:end {name} -->\n"
                                 for name in ("labels", "hyperparameters"))
    expected = derive_expected(parse_card(two_regions, "README.md"), classifier_facts(),
                               ExpectOptions(override_dirs=look_up))
    assert [region.name for region in expected.marked] == ["labels", "hyperparameters"]
    assert lookups == ["looked up"]  # once for the card, however many regions it renders
