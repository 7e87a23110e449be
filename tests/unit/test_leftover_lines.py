"""A placeholder is found on its own line even when lower-casing lengthens an earlier line.

The leftover scan searches the lower-cased body once; "İ" (U+0130) lowers to two characters,
so offsets in the lowered text must be mapped to lines of the lowered text.
"""

from __future__ import annotations

import pytest

from cardguard.card.reader import parse_card
from cardguard.rules.sections import check_sections


@pytest.mark.parametrize("earlier", ["İ" * 60, "İstanbul " * 20, "plain text " * 10])
def test_placeholder_is_reported_on_its_line(earlier: str) -> None:
    text = f"---\nlicense: mit\n---\n# Model\n\n{earlier}\n\nMore information needed\n\nThe end.\n"
    card = parse_card(text, "README.md")
    placeholders = [item for item in check_sections(card, "minimal") if item.code == "CG203"]
    assert [item.line for item in placeholders] == [8]
