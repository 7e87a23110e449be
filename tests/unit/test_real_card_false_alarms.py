"""False alarms on real cards, each a class (issue 12, items 5 and 6): decorated or
entity-escaped headings, sections that hold only sub-sections, and the texts templates write
when nobody fills them in."""

from __future__ import annotations

import pytest

from cardguard.card.reader import parse_card
from cardguard.card.markdown import normalize_title
from cardguard.rules.sections import check_sections

TRAINER_SECTIONS = """## Model description

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


def section_findings(body: str, profile: str = "trainer") -> list:
    return check_sections(parse_card(f"---\nlicense: mit\n---\n# tiny\n\n{body}", "README.md"), profile)


@pytest.mark.parametrize(
    ("written", "required"),
    [
        ("## 📄 Model description", "## Model description"),
        ("## Model description 📋", "## Model description"),
        ("## ✨ Training procedure ✨", "## Training procedure"),
        ("### 🛠️ Training hyperparameters", "### Training hyperparameters"),  # emoji + variation selector
        ("## 👩‍💻 Intended uses & limitations", "## Intended uses & limitations"),  # zero-width-joined emoji
        ("## ➡ Training and evaluation data", "## Training and evaluation data"),  # an arrow
        ("### Framework versions ⚙️🚀", "### Framework versions"),
        ("## Intended uses &amp; limitations", "## Intended uses & limitations"),
        ("## Intended uses &#38; limitations", "## Intended uses & limitations"),
    ],
)
def test_a_decorated_required_heading_counts(written: str, required: str) -> None:
    assert required in TRAINER_SECTIONS
    assert section_findings(TRAINER_SECTIONS.replace(required, written)) == []


@pytest.mark.parametrize("title", ["C++ bindings", "Results <= 0.5", "Price in $", "Model description"])
def test_ascii_symbols_are_words_and_stay(title: str) -> None:
    assert normalize_title(title) == title.lower()


def test_a_hub_card_with_decorated_headings_is_complete(hub_template_filled_output) -> None:
    """The Hub's filled template, every heading decorated the way real cards do."""
    text = (hub_template_filled_output.out / "README.md").read_text(encoding="utf-8")
    decorated = "\n".join(
        line.replace("# ", "# 📌 ", 1).replace("&", "&amp;") if line.startswith("#") else line
        for line in text.splitlines()
    )
    findings = check_sections(parse_card(decorated, "README.md"), "hub")
    assert [item for item in findings if item.code in ("CG201", "CG202")] == []


@pytest.mark.parametrize(
    "body",
    [
        "## Training procedure\n\n### Training hyperparameters\n\n- learning_rate: 5e-05\n",
        "## Training procedure\n\n<!-- filled in below -->\n\n### Training hyperparameters\n\n- learning_rate: 5e-05\n",
        "## Training procedure\n\n#### Training hyperparameters\n\n- learning_rate: 5e-05\n",
    ],
)
def test_a_section_holding_only_sub_sections_is_not_empty(body: str) -> None:
    """Content in a sub-section is the section's content (the sub-section's depth does not matter)."""
    findings = check_sections(parse_card(f"# tiny\n\n{body}", "README.md"), "minimal", ("Training procedure",))
    assert findings == []


def test_a_section_whose_sub_sections_are_empty_is_empty() -> None:
    findings = check_sections(parse_card("# tiny\n\n## Training procedure\n\n### Notes\n\n", "README.md"),
                              "minimal", ("Training procedure",))
    assert [item.code for item in findings] == ["CG202"]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        # The Hub template's default Recommendations sentence.
        ("Users (both direct and downstream) should be made aware of the risks, biases and limitations of the "
         "model. More information needed for further recommendations.", "CG203"),
        ("limitations of the model. More information needed for further recommendations.", "CG203"),  # wrapped
        # Trainer's intro with no dataset name, and with an empty base model.
        ("This model is a fine-tuned version of [bert-base-uncased](https://huggingface.co/bert-base-uncased) "
         "on the None dataset.", "CG203"),
        ("This model is a fine-tuned version of [](https://huggingface.co/) on an unknown dataset.", "CG203"),
        # Trainer's note, as it writes it: a comment over two lines.
        ("<!-- This model card has been generated automatically according to the information the Trainer had "
         "access to. You\nshould probably proofread and complete it, then remove this comment. -->", "CG204"),
        ("<!-- This model card has been generated automatically according to the information Keras had access "
         "to. You should\nprobably proofread and complete it, then remove this comment. -->", "CG204"),
    ],
)
def test_what_a_template_writes_when_nobody_fills_it_in_is_reported(line: str, code: str) -> None:
    findings = section_findings(f"{line}\n\n{TRAINER_SECTIONS}")
    assert [item.code for item in findings] == [code]
    assert findings[0].line == 6 + line.count("\n")


@pytest.mark.parametrize(
    "line",
    [
        "Users should be made aware of the risks, biases and limitations of the model: see below.",
        "It was trained on the None-of-the-above dataset.",
        "It needs the none dataset of our lab.",  # Trainer prints Python's None, capitalised
        "![](https://huggingface.co/)",  # an image without alt text is not an empty link
        "```\n[](https://huggingface.co/)\n```",  # code
        "Say `on the None dataset` in code.",
    ],
)
def test_written_text_like_the_defaults_passes(line: str) -> None:
    assert section_findings(f"{line}\n\n{TRAINER_SECTIONS}") == []


def test_a_fresh_trainer_card_reports_its_note(trainer_classifier_run) -> None:
    text = (trainer_classifier_run.out / "README.md").read_text(encoding="utf-8")
    findings = check_sections(parse_card(text, "README.md"), "trainer")
    note = [item for item in findings if item.code == "CG204"]
    assert len(note) == 1
    assert "proofread" in text.splitlines()[note[0].line - 1]
