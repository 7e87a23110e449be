"""markdown._open_block's shortcut: a line whose first character cannot open a block is live
without trying the patterns; every line gets the kind the full test gives it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardguard.card.markdown import LIVE, _open_block, _opened_block, line_kinds

# Characters that matter to some pattern, whitespace str.strip() drops, and plain letters.
_CHARACTERS = st.sampled_from(list("-*+1.)`~<>!/ \t\u3000\x0b\x0cpreaPREsty#=|a") + ["<!--", "-->", "```", "</pre>"])


@settings(max_examples=2000, deadline=None)
@given(line=st.lists(_CHARACTERS, max_size=8).map("".join))
def test_the_shortcut_agrees_with_every_pattern(line: str) -> None:
    assert _open_block(line) == _opened_block(line)


@pytest.mark.parametrize(("line", "kind"), [
    ("Plain prose", LIVE), ("", LIVE), ("| a | b |", LIVE), ("## Heading", LIVE),
    ("\u3000<!-- open comment", "hidden"), ("1. ```python", "fence"), ("> quote", "hidden"),
])
def test_the_first_line_s_kind(line: str, kind: str) -> None:
    assert line_kinds([line])[0] == kind
