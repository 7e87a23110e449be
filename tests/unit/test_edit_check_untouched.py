"""edit_check._untouched looks only at the spans near each line: it keeps exactly the lines
that no span touches, as trying every span on every line does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cardguard.edit.edit_check import _touches, _untouched


@st.composite
def lines_and_spans(draw: st.DrawFn) -> tuple[list[tuple[int, str, str, int]], list[tuple[int, int]]]:
    texts = draw(st.lists(st.sampled_from(["", "a", "abc", "a longer line"]), max_size=12))
    roles, start = [], 0
    for number, text in enumerate(texts, start=1):
        roles.append((number, text, "text", start))
        start += len(text) + 1
    # in order and not overlapping, as edits are: cut points, each pair a span (empty: an insertion)
    cuts = sorted(draw(st.lists(st.integers(0, start + 1), max_size=8)))
    spans = [(cuts[index], cuts[index + 1]) for index in range(0, len(cuts) - 1, 2)]
    return roles, spans


@settings(max_examples=1000, deadline=None)
@given(case=lines_and_spans())
def test_the_lines_no_span_touches(case: tuple[list[tuple[int, str, str, int]], list[tuple[int, int]]]) -> None:
    roles, spans = case
    every_span_tried = [(number, line, role) for number, line, role, start in roles
                        if not any(_touches(start, start + len(line), span) for span in spans)]
    assert _untouched(roles, spans) == every_span_tried
