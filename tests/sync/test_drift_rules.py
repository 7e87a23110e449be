"""Semantic drift rules on hand-built facts: each rule fires at its line, and unknown facts never do."""

from __future__ import annotations

import pytest

from cardguard.artifacts.peft import AdapterFacts
from cardguard.card.reader import parse_card
from tests.sync.helpers import classifier_facts, drift_of

HEAD = "---\nlibrary_name: transformers\npipeline_tag: text-classification\n---\n# Card\n"


def _codes(text: str, facts=None) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    return [(f.code, f.line) for f in drift_of(parse_card(text, "README.md"), facts or classifier_facts())]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEAD, []),
        (HEAD.replace("text-classification", "text-generation"), [("CG412", 3)]),
        (HEAD.replace("library_name: transformers", "library_name: peft"), [("CG411", 2)]),
        (HEAD + "\n- **Parameters:** 20.5K\n", []),
        (HEAD + "\n- **Parameters:** 1.2M\n", [("CG414", 7)]),
        (HEAD + "\nTensor type: BF16\n", [("CG415", 7)]),
        (HEAD + "\n## Labels\n\n- negative\n- positive\n", [("CG416", 7)]),
        (HEAD + "\n## Labels\n\n- 0: negative\n- 1: neutral\n- 2: positive\n", []),
        (HEAD + "\n<!-- cardguard:begin model-summary -->\n- **Parameters:** 9M\n<!-- cardguard:end model-summary -->\n", []),
    ],
)
def test_body_and_metadata_rules(text: str, expected: list[tuple[str, int]]) -> None:
    assert _codes(text) == expected


def test_base_model_against_adapter_but_never_a_local_path() -> None:
    facts = classifier_facts()
    facts.adapter = AdapterFacts(peft_type="LORA", task_type="SEQ_CLS", base_model="org/real-base")
    text = "---\nlibrary_name: peft\nbase_model: org/other\n---\n"
    assert ("CG410", 3) in _codes(text, facts)
    facts.adapter.base_model = "/home/me/base"
    assert not [c for c in _codes(text, facts) if c[0] == "CG410"]


@pytest.mark.parametrize(("value", "drift"), [("0.75", False), ("0.7500", False), ("75.0", False), ("0.76", True),
                                               ("0.8", False), ("0.6", True)])
def test_metric_rounding(value: str, drift: bool) -> None:
    text = (HEAD.replace("---\n# Card", "model-index:\n- name: x\n  results:\n  - metrics:\n"
                         f"    - type: accuracy\n      value: {value}\n---\n# Card"))
    assert (("CG413", 9) in _codes(text)) is drift
