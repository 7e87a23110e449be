"""Section rules: required sections, empty sections, placeholders and template leftovers."""

from __future__ import annotations

import pytest

from cardguard.card.reader import parse_card
from cardguard.rules.sections import PROFILES, check_sections

HUB_CARD = """---
license: mit
---
# Model Card for tiny

## Model Details
### Model Description
A tiny classifier.
## Uses
### Direct Use
Sorting reviews.
### Out-of-Scope Use
Medical advice.
## Bias, Risks, and Limitations
Trained on English reviews only.
## How to Get Started with the Model
Load it with transformers.
## Training Details
### Training Data
IMDB.
## Evaluation
### Testing Data, Factors & Metrics
IMDB test split; accuracy.
### Results
0.9 accuracy.
## Environmental Impact
Negligible: minutes on one CPU.
## Model Card Contact
someone@example.org
"""


def run(text: str, profile: str = "hub", extra: tuple[str, ...] = ()) -> list:
    return check_sections(parse_card(text, "README.md"), profile, extra)


def test_complete_hub_card_passes() -> None:
    assert run(HUB_CARD) == []


@pytest.mark.parametrize("section", ["## Environmental Impact", "### Out-of-Scope Use", "## Model Card Contact"])
def test_each_missing_hub_section_is_reported(section: str) -> None:
    lines = HUB_CARD.splitlines()
    index = lines.index(section)
    text = "\n".join(lines[:index] + lines[index + 2:]) + "\n"
    findings = run(text)
    assert [f.code for f in findings] == ["CG201"]
    assert section.lstrip("# ") in findings[0].message


def test_headings_match_case_insensitively_without_optional_and_punctuation() -> None:
    text = HUB_CARD.replace("## Model Card Contact", "## model card contact [optional]:")
    assert run(text) == []


def test_aliases_of_real_generators() -> None:
    text = HUB_CARD.replace("## Bias, Risks, and Limitations", "## Bias, Risks and Limitations")
    assert run(text) == []


def test_empty_section_is_reported_at_its_heading() -> None:
    text = HUB_CARD.replace("Negligible: minutes on one CPU.\n", "<!-- Total emissions go here -->\n\n")
    findings = run(text)
    assert [f.code for f in findings] == ["CG202"]
    assert findings[0].line == HUB_CARD.splitlines().index("## Environmental Impact") + 1


def test_a_section_with_only_filled_subsections_is_not_empty() -> None:
    assert not [f for f in run(HUB_CARD) if f.code == "CG202"]


@pytest.mark.parametrize(
    "leftover",
    ["[More Information Needed]", "More information needed", "[TODO]"],
)
def test_placeholders_are_reported_at_their_line(leftover: str) -> None:
    text = HUB_CARD.replace("IMDB.\n", f"{leftover}\n")
    findings = run(text)
    assert [f.code for f in findings] == ["CG203"]
    assert findings[0].line == HUB_CARD.splitlines().index("IMDB.") + 1


@pytest.mark.parametrize(
    "where",
    ["```\n[More Information Needed]\n```\n", "<!-- [More Information Needed] -->\n", "`{{ not_a_template }}`\n"],
)
def test_leftovers_in_code_or_comments_are_fine(where: str) -> None:
    assert run(HUB_CARD + where) == []


def test_unrendered_template_syntax() -> None:
    findings = run(HUB_CARD.replace("IMDB.\n", "{{ training_data }}\n"))
    assert [f.code for f in findings] == ["CG205"]
    assert findings[0].column == 1


def test_visible_template_instructions() -> None:
    findings = run(HUB_CARD.replace("A tiny classifier.", "_Provide a longer summary of what this model is._"))
    assert [f.code for f in findings] == ["CG204"]


def test_empty_body() -> None:
    assert [f.code for f in run("---\nlicense: mit\n---\n", "minimal")] == ["CG206"]


def test_extra_required_sections() -> None:
    findings = run(HUB_CARD, extra=("Citation",))
    assert [f.code for f in findings] == ["CG201"]


def test_minimal_profile_requires_no_sections() -> None:
    assert run("---\nlicense: mit\n---\n# Title\ntext\n", "minimal") == []


TRAINER_CARD = """---
library_name: transformers
---
<!-- This model card has been generated automatically according to the information the Trainer had access to. -->

# tiny

This model was trained from scratch on an unknown dataset.

## Model description

More information needed

## Intended uses & limitations

More information needed

## Training and evaluation data

More information needed

## Training procedure

### Training hyperparameters

- learning_rate: 5e-05

### Framework versions

- Transformers 5.24.0
"""


def test_trainer_profile_accepts_trainer_layout_but_flags_its_placeholders() -> None:
    findings = run(TRAINER_CARD, "trainer")
    assert [f.code for f in findings] == ["CG203", "CG203", "CG203"]


def test_profiles_are_known() -> None:
    assert set(PROFILES) == {"hub", "trainer", "sentence-transformers", "peft", "minimal"}


def _template_card(**filled: str) -> str:
    from huggingface_hub import ModelCard, ModelCardData

    data = ModelCardData(license="mit", library_name="transformers", pipeline_tag="text-classification", language="en")
    return str(ModelCard.from_template(data, model_id="org/tiny", **filled))


TEMPLATE_VARIABLES = (
    "model_summary model_description developers funded_by shared_by model_type language license base_model repo "
    "paper demo direct_use downstream_use out_of_scope_use bias_risks_limitations bias_recommendations "
    "get_started_code training_data preprocessing training_regime speeds_sizes_times testing_data "
    "testing_factors testing_metrics results results_summary model_examination hardware_type hours_used "
    "cloud_provider cloud_region co2_emitted model_specs compute_infrastructure hardware_requirements software "
    "citation_bibtex citation_apa glossary more_information model_card_authors model_card_contact"
).split()


def test_huggingface_hub_default_template_fails_only_for_placeholders() -> None:
    pytest.importorskip("huggingface_hub")
    findings = run(_template_card())
    assert findings, "the unfilled template must not pass"
    assert {f.code for f in findings} == {"CG203"}


def test_huggingface_hub_template_passes_once_filled() -> None:
    pytest.importorskip("huggingface_hub")
    filled = {name: f"Real text about {name.replace('_', ' ')}." for name in TEMPLATE_VARIABLES}
    assert run(_template_card(**filled)) == []


def test_a_required_section_under_two_of_its_names_is_looked_up_by_its_title_first() -> None:
    # "Out-of-Scope Use" is the title, "Out of Scope Use" an alias: the title's section is the
    # one checked, whatever the order of the card and the hash seed of the process.
    text = HUB_CARD.replace("### Out-of-Scope Use\nMedical advice.\n",
                            "### Out of Scope Use\nMedical advice.\n### Out-of-Scope Use\n\n")
    card = parse_card(text, "README.md")
    empty = [finding for finding in check_sections(card, "hub") if finding.code == "CG202"]
    assert [finding.message for finding in empty] == ["section 'Out-of-Scope Use' is empty"]
