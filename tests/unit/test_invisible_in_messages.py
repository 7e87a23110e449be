"""A metadata value in a finding's message shows the characters a reader cannot see as escapes.

A value pasted from a web page can hold U+00A0 where a space seems to be, a zero-width space,
or a bidirectional control that shows the text reversed. Printed raw, the message reads as if
the value were fine ("fill-mask #old" looks like a comment YAML drops) or shows other text than
the card holds; as an escape, the reader sees why the Hub does not take it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cardguard

CARD = "---\nlicense: mit\nlibrary_name: transformers\n{line}\n---\n# Model\n\nText.\n"


@pytest.mark.parametrize(("line", "code", "shown"), [
    pytest.param("pipeline_tag: fill-mask\u00a0#old", "CG105", '"fill-mask\\u00a0#old"', id="no-break-space"),
    pytest.param("pipeline_tag: fill\u200b-mask", "CG105", '"fill\\u200b-mask"', id="zero-width-space"),
    pytest.param('license: "\u202emit"', "CG101", '"\\u202emit"', id="right-to-left-override"),
    pytest.param("pipeline_tag: fill\u3000mask", "CG105", '"fill\\u3000mask"', id="ideographic-space"),
    pytest.param("pipeline_tag: fill mask", "CG105", '"fill mask"', id="a-space-stays-a-space"),
    pytest.param("pipeline_tag: modèle", "CG105", '"modèle"', id="visible-letters-stay"),
])
def test_the_message_shows_what_the_card_holds(tmp_path: Path, line: str, code: str, shown: str) -> None:
    card = tmp_path / "README.md"
    card.write_text(CARD.format(line=line).replace("license: mit\n", "", code == "CG101"), encoding="utf-8")
    report = cardguard.validate(card, profile="minimal")
    messages = [finding.message for finding in report.findings if finding.code == code]
    assert len(messages) == 1, report.findings
    assert f"with value {shown} " in messages[0]
