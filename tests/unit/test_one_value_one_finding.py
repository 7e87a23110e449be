"""A metadata value of the wrong type is reported once, as CG109, whichever key it is under:
not also as an unknown licence, library or task (issue 12, item 5)."""

from __future__ import annotations

import pytest

from cardguard.card.reader import parse_card
from cardguard.rules.metadata import check_metadata


def findings_for(yaml_lines: str) -> list:
    card = parse_card(f"---\n{yaml_lines}\n---\n# Model\n", "README.md")
    return check_metadata(card)


@pytest.mark.parametrize(
    ("yaml_lines", "path"),
    [
        ("pipeline_tag: false", "pipeline_tag"),  # was CG109 and CG105
        ("pipeline_tag: 3", "pipeline_tag"),
        ("library_name: 3", "library_name"),  # was CG109 and CG104
        ("license: 3", "license"),  # was CG109 and CG101
        ("license:\n- 3", "license[0]"),
        ("license:\n- mit\n- 2.0", "license[1]"),
    ],
)
def test_a_wrong_typed_value_is_one_cg109(yaml_lines: str, path: str) -> None:
    about_value = [item for item in findings_for(f"library_name: transformers\n{yaml_lines}")
                   if item.code not in ("CG107", "CG108") and f'"{path}"' in item.message]
    assert [item.code for item in about_value] == ["CG109"], [item.message for item in about_value]


@pytest.mark.parametrize(
    ("yaml_lines", "code"),
    [
        ("pipeline_tag: not-a-task", "CG105"),
        ("library_name: not-a-library", "CG104"),
        ("license: not-a-licence", "CG101"),
        # A YAML 1.1 word is text to the Hub: CG010 says to quote it, and its value is still checked.
        ("pipeline_tag: yes", "CG105"),
    ],
)
def test_a_string_outside_the_known_values_keeps_its_own_rule(yaml_lines: str, code: str) -> None:
    found = [item.code for item in findings_for(f"library_name: transformers\nlicense: mit\n{yaml_lines}")]
    assert code in found and "CG109" not in found, found
