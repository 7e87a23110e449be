"""cardguard/lines.py: the one line model (LF, CRLF and a lone CR end a line; nothing else)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardguard.lines import LineIndex, line_at, line_count, line_starts, split_lines, split_lines_keepends

ODD = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


@pytest.mark.parametrize(("text", "starts"), [
    ("", [0]),
    ("a", [0]),
    ("a\n", [0, 2]),
    ("a\r\nb", [0, 3]),
    ("a\rb\nc", [0, 2, 4]),
    ("\n\n", [0, 1, 2]),
    ("\r\r\n", [0, 1, 3]),
    (f"a{ODD}b\nc", [0, len(ODD) + 3]),
])
def test_line_starts(text: str, starts: list[int]) -> None:
    assert line_starts(text) == starts


@pytest.mark.parametrize(("text", "lines"), [
    ("", []),
    ("a", ["a"]),
    ("a\n", ["a"]),
    ("a\n\n", ["a", ""]),
    ("a\r\nb\rc\n", ["a", "b", "c"]),
    (f"x{ODD}y", [f"x{ODD}y"]),
])
def test_split_lines_breaks_only_at_cr_and_lf(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines
    assert line_count(text) == len(lines)


@given(st.text(alphabet="ab\r\n" + ODD, max_size=40))
def test_the_pieces_agree(text: str) -> None:
    kept = split_lines_keepends(text)
    assert "".join(kept) == text
    assert [piece.rstrip("\r\n") for piece in kept] == split_lines(text)
    index = LineIndex(text)
    for offset in range(len(text)):
        line, column = index.position(offset)
        assert index.line_start(line) + column - 1 == offset
        assert line_at(text, offset) == line
        assert text[offset] in "\r\n" or text[offset] in index.line_text(line)


def test_the_lf_of_a_crlf_is_on_the_line_of_its_cr() -> None:
    text = "a\r\nb"
    assert [line_at(text, offset) for offset in range(len(text))] == [1, 1, 1, 2]
    assert LineIndex(text).position(2) == (1, 3)
