"""A folder that holds only its card: derive_expected knows nothing is known and skips the
work that could only find nothing (the card's lines for the region scan when no marker can be
in it, a library's unmarked sections), and check and sync say exactly what the full derivation
says. The full derivation is forced by answering "maybe" to both of its questions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardguard.artifacts import Facts, read_facts
from cardguard.card.reader import parse_card
from cardguard.card.regions import RegionScan, scan_regions
from cardguard.edit.sync import plan_sync
from cardguard.expect import expected as expected_module
from cardguard.expect.expected import ExpectOptions, derive_expected, holds_artifacts, may_hold_markers
from cardguard.expect.generated import REGIONS, model_traits
from cardguard.expect.managed import Unknown, expected_metadata
from cardguard.expect.statements import expected_statements
from cardguard.rules.unsynced import check_findings
from tests.sync.helpers import classifier_facts

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "cards"

TRAINER_CARD = """---
library_name: transformers
tags:
- generated_from_trainer
---
# tiny

It achieves the following results on the evaluation set:
- Loss: 0.5
- Accuracy: 0.75

### Training hyperparameters

The following hyperparameters were used during training:
- learning_rate: 5e-05
- train_batch_size: 8
- seed: 42

### Training results

| Training Loss | Epoch | Step | Validation Loss | Accuracy |
|:-------------:|:-----:|:----:|:---------------:|:--------:|
| No log        | 1.0   | 6    | 0.6             | 0.7      |

### Framework versions

- Transformers 4.40.0
- Pytorch 2.2.0
"""

MARKED_CARD = """---
license: mit
---
# marked

<!-- cardguard:begin labels -->
- 0: negative
<!-- cardguard:end labels -->

<!-- cardguard:begin nonsense -->
<!-- cardguard:end model-summary -->
text <!-- cardguard:begin labels --> inline

```
<!-- cardguard:begin labels -->
```

The model has 20,483 parameters: F16 tensors.
"""

# marker-like text in which "cardguard:" never occurs (near misses: "CardGuard:", "cardguard :")
NO_CARDGUARD = st.lists(st.sampled_from(["<!--", "-->", " ", "\n", "\t", "cardguard", "card", "guard", ": ",
                                         "begin", "end", "labels", "```", "#", "-", "x", "CardGuard:", "cardguard :"]),
                        max_size=30).map("".join).filter(lambda text: "cardguard:" not in text)


def nothing_known(model_dir: str = "model") -> Facts:
    facts = Facts(model_dir=model_dir)
    facts.hub_id = "org/model"  # set by check for every folder: not an artifact
    return facts


# -- why the skipped work can only find nothing --------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(previous=st.one_of(st.none(), st.text(max_size=40)),
       metadata=st.dictionaries(st.sampled_from(["language", "base_model", "pipeline_tag", "model-index", "datasets"]),
                                st.one_of(st.text(max_size=10), st.lists(st.text(max_size=10), max_size=2))))
def test_without_artifacts_no_region_can_be_built(previous: str | None, metadata: dict) -> None:
    facts = nothing_known()
    traits = model_traits(facts)
    for spec in REGIONS.values():
        assert spec.build(facts, metadata, previous, traits) is None, spec.name


def test_without_artifacts_no_managed_value_or_statement_is_known() -> None:
    facts = nothing_known()
    traits = model_traits(facts)
    wanted = expected_metadata({"base_model": "org/base", "pipeline_tag": "text-classification"}, facts, traits)
    assert wanted.scalars() == {} and wanted.tags == () and not wanted.drifted_metrics and not wanted.added_metrics
    statements = expected_statements(facts, traits)
    assert all(isinstance(value, Unknown) for value in (statements.parameters, statements.dtype, statements.labels))


def test_holds_artifacts_tells_a_card_only_folder_from_a_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(TRAINER_CARD, encoding="utf-8")
    assert not holds_artifacts(read_facts(tmp_path))
    (tmp_path / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    assert holds_artifacts(read_facts(tmp_path))
    assert holds_artifacts(classifier_facts())


@settings(max_examples=200, deadline=None)
@given(NO_CARDGUARD)
def test_a_text_that_never_says_cardguard_colon_has_no_region_and_no_marker_finding(text: str) -> None:
    assert not may_hold_markers(text)
    assert scan_regions(text, "README.md") == RegionScan()


def test_every_marker_finding_is_on_a_line_that_says_cardguard_colon() -> None:
    scan = scan_regions(MARKED_CARD, "README.md")
    assert {finding.code for finding in scan.findings} == {"CG401", "CG402"}
    lines = MARKED_CARD.splitlines()
    assert all("cardguard:" in lines[finding.line - 1] for finding in scan.findings)
    assert may_hold_markers(MARKED_CARD)


# -- the short road says what the long one says ---------------------------------------------------

OPTION_SETS = [ExpectOptions(compare_library_sections=True),  # check
               ExpectOptions(),  # sync
               ExpectOptions(add_missing=True, required_regions=("hyperparameters", "labels", "get-started"))]


def outcomes(text: str, facts: Facts, options: ExpectOptions) -> tuple:
    card = parse_card(text, "README.md")
    expected = derive_expected(card, facts, options)
    plan = plan_sync(card, expected)
    findings = check_findings(card, facts, expected, plan)
    return (plan.new_text, plan.checked_text, plan.region_changes, plan.metadata_changes, plan.missing_regions,
            plan.unfillable_regions, plan.blocked, plan.library_drift, [(f, f.extra) for f in findings],
            expected.unfillable, expected.figures, [(r.name, r.text, r.reason) for r in expected.marked])


def the_long_road(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expected_module, "holds_artifacts", lambda facts: True)
    monkeypatch.setattr(expected_module, "may_hold_markers", lambda text: True)


def sample_texts() -> list[str]:
    texts = [TRAINER_CARD, MARKED_CARD, TRAINER_CARD.replace("### Training results", "```\n### Training results"),
             "no front matter, no markers\n", ""]
    if CORPUS.is_dir():
        texts += [path.read_text(encoding="utf-8", errors="replace")
                  for path in sorted(CORPUS.glob("*.md"))[::25]]
    return texts


@pytest.mark.parametrize("options", OPTION_SETS, ids=["check", "sync", "sync-add-missing"])
@pytest.mark.parametrize("facts", [nothing_known, classifier_facts], ids=["card-only", "classifier"])
def test_the_short_road_gives_the_outcome_of_the_full_derivation(options: ExpectOptions, facts: Callable[[], Facts],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    texts = sample_texts()
    short = [outcomes(text, facts(), options) for text in texts]
    the_long_road(monkeypatch)
    long = [outcomes(text, facts(), options) for text in texts]
    for text, quick, full in zip(texts, short, long):
        assert quick == full, text[:200]


def test_with_artifacts_the_library_sections_are_still_compared() -> None:
    card = parse_card(TRAINER_CARD, "README.md")
    expected = derive_expected(card, classifier_facts(), ExpectOptions(compare_library_sections=True))
    assert {section.name for section in expected.library_sections} >= {"hyperparameters", "training-results"}
    assert expected.card_lines is not None


def test_a_card_only_folder_with_no_marker_skips_the_lines_and_the_library_sections() -> None:
    card = parse_card(TRAINER_CARD, "README.md")
    expected = derive_expected(card, nothing_known(), ExpectOptions(compare_library_sections=True))
    assert expected.card_lines is None and expected.library_sections == () and expected.scan == RegionScan()
