"""The leftover scan looks at exactly the lines whose lower-cased text holds a hint.

The scan finds hints from shared anchors ("[", "this ", "if " ...) rather than one search
per hint; a line is picked when, and only when, one of the hints is written in it. Inside
brackets spaces may come first, as the placeholder patterns allow ("[ TODO ]", "[ ](...)").
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from cardguard.card.reader import parse_card
from cardguard.rules.sections import (
    _BRACKETED_HINTS,
    _HIDDEN_INSTRUCTION,
    _HINTS_BY_ANCHOR,
    _lines_with_hints,
    check_sections,
    hint_text,
)

# The hints as the rule states them, one by one (not read back from the anchors' table).
HINTS = [
    "information needed", "{{", "{%", "[todo", "[tbd", "[fixme", "[your name", "[model id",
    "provide ", "this section", "address questions", "this should link", "these are the",
    "if there is a paper", "relevant interpretability", "total emissions", "if relevant", "this relates heavily",
    "the none dataset", "[](", "[ ](", _HIDDEN_INSTRUCTION,
]
BRACKETED = re.compile(r"\[\s*(todo|tbd|fixme|your name|model id|\]\()")
# Pieces that make hints, near misses of hints ("this  section", "[ todo") and plain text.
PIECES = st.sampled_from([
    *HINTS, "this", "this ", "relevant", "if ", "if", "[", "{", "]", "(", " ", "\n", "text", "needed", "the none",
    "[ todo", "[\t tbd", "[ \n](", "this  section", "relevant\ninterpretability",
])


def lines_holding_a_hint(lowered: str) -> list[int]:
    return [index for index, line in enumerate(lowered.split("\n"))
            if any(hint in line for hint in HINTS) or BRACKETED.search(line)]


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=30).map("".join))
def test_picks_the_lines_holding_a_hint(text: str) -> None:
    assert _lines_with_hints(text) == lines_holding_a_hint(text)


# Characters whose lower case is longer, is ASCII, or is cased in other ways, beside hints.
UNICODE_PIECES = st.sampled_from([
    *HINTS, "\u0130", "\u212a", "\u0130f ", "F\u0130XME", "\u03a3", "\u00a0", "\u1e9e", "\U0001f917", "\n", " ",
    "[", "THIS SECTION", "Provide ", "\u0130NFORMATION NEEDED", "[\u00a0todo]", "\ud800",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(UNICODE_PIECES, max_size=30).map("".join))
def test_hint_text_picks_the_lines_lower_picks(text: str) -> None:
    assert hint_text(text).count("\n") == text.count("\n")
    assert _lines_with_hints(hint_text(text)) == _lines_with_hints(text.lower())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["[", " ", "\t", "\u00a0", "\x1c", "\u2003", "\x85", "\n", "todo", "](", "x"]),
                max_size=12).map("".join))
def test_any_space_of_its_line_may_follow_a_bracket(text: str) -> None:
    assert _lines_with_hints(text) == lines_holding_a_hint(text)


def test_every_hint_has_its_anchor() -> None:
    for anchor, hints in _HINTS_BY_ANCHOR.items():
        assert all(hint.startswith(anchor) for hint in hints)
    anchored = [hint for hints in _HINTS_BY_ANCHOR.values() for hint in hints]
    bracketed = ["[" + hint for hint in _BRACKETED_HINTS] + ["[ ]("]
    assert sorted(anchored + bracketed) == sorted(HINTS)


def test_a_placeholder_with_spaces_inside_its_brackets_is_reported() -> None:
    card = parse_card("---\nlicense: mit\n---\n# Model\n\nOwner: [ TODO ]\n", "README.md")
    placeholders = [item for item in check_sections(card, "minimal") if item.code == "CG203"]
    assert [(item.line, item.message) for item in placeholders] == [(6, "template placeholder '[ TODO ]' left in the card")]
