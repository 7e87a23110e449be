"""regions.body_lines: every line of the body (the text after the front matter), numbered as
in the whole file, with its offsets, its text without the break and its liveness."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cardguard.card.markdown import live_lines
from cardguard.card.reader import body_offset
from cardguard.card.regions import body_lines
from cardguard.lines import line_starts, strip_break

_PIECES = st.sampled_from(["---", "license: mit", "# T", "```", "<!--", "-->", "text", "", "  code", "> q"])


def lines_one_by_one(text: str) -> list[tuple[int, int, int, str, bool]]:
    """Every line of the file from its starts, kept when it begins in the body and is not the
    empty end after a final break."""
    starts = line_starts(text)
    spans = [(number, start, end) for number, (start, end) in enumerate(zip(starts, [*starts[1:], len(text)]), start=1)
             if body_offset(text) <= start < end]
    texts = [strip_break(text[start:end]) for _, start, end in spans]
    return [(number, start, end, line, live) for (number, start, end), line, live in zip(spans, texts, live_lines(texts))]


@settings(max_examples=1000, deadline=None)
@given(pieces=st.lists(_PIECES, max_size=10), breaks=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=10,
                                                              max_size=10), final_break=st.booleans())
def test_body_lines_are_the_body_s_lines_of_the_file(pieces: list[str], breaks: list[str], final_break: bool) -> None:
    text = "".join(piece + line_break for piece, line_break in zip(pieces, breaks))
    if not final_break and text:
        text = text.rstrip("\r\n")
    found = [(line.number, line.start, line.end, line.text, line.live) for line in body_lines(text)]
    assert found == lines_one_by_one(text)


def test_a_card_s_body_lines() -> None:
    text = "---\nlicense: mit\n---\n# Model\r\n\n```\n<!-- x -->\n```\nend"
    assert [(line.number, line.start, line.text, line.live) for line in body_lines(text)] == [
        (4, 21, "# Model", True), (5, 30, "", True), (6, 31, "```", False), (7, 35, "<!-- x -->", False),
        (8, 46, "```", False), (9, 50, "end", True),
    ]
