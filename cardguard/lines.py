"""The one line model of cardguard: where lines begin and end in a card or a YAML file.

A line ends at ``"\\r\\n"``, at a lone ``"\\r"`` or at ``"\\n"``; no other character ends a line.

Why this model: it is what the reader of a card sees and what the card's consumers agree on.
CommonMark, the spec GitHub's Markdown renderer (cmark-gfm) implements, defines a line ending
as LF, CR not followed by LF, or CRLF; HTML's newlines are the same three, and the Hub's own
front-matter pattern (card.py) knows only CR and LF. YAML
1.2 has the same three breaks (U+0085, U+2028 and U+2029 stopped being breaks after YAML
1.1). VS Code's text model breaks lines only at CRLF, CR and LF and offers to remove LS, PS
and NEL as "unusual line terminators" (microsoft/vscode#96142).

Two other models lurk in Python and must never decide a line number or an offset:

- ``str.splitlines()`` also breaks at ``\\x0b``, ``\\x0c``, ``\\x1c``-``\\x1e``, U+0085,
  U+2028 and U+2029, which copy-pasted text carries;
- PyYAML (YAML 1.1) counts U+0085, U+2028 and U+2029 as breaks in ``Mark.line`` and
  ``Mark.column``: positions from PyYAML go through ``Mark.index`` and :class:`LineIndex`.

Every function here runs in time linear in the text (one regex scan; ``bisect`` per lookup).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate

_BREAK = re.compile(r"\r\n?|\n")
# Characters PyYAML reads as line breaks that do not end a line in this model.
YAML_ONLY_BREAKS = ("\x85", "\u2028", "\u2029")


def line_starts(text: str) -> list[int]:
    """Offsets where each line begins (index 0 is line 1). A text ending with a break has a
    last, empty line starting at ``len(text)``."""
    if "\r" not in text:  # every break is an LF: no regex, no match object per line
        return list(accumulate((len(line) + 1 for line in text.split("\n")[:-1]), initial=0))
    starts = [match.end() for match in _BREAK.finditer(text)]
    starts.insert(0, 0)
    return starts


def split_lines(text: str) -> list[str]:
    """The lines without their breaks, as ``str.splitlines()`` would give them under this model
    (no empty last line after a final break; ``[]`` for an empty text)."""
    # Without a CR, LF is the only break and str.split, several times faster than the regex, agrees.
    lines = text.split("\n") if "\r" not in text else _BREAK.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


def split_lines_keepends(text: str) -> list[str]:
    """The lines with their breaks; joined they give ``text`` back."""
    starts = line_starts(text)
    ends = [*starts[1:], len(text)]
    return [text[start:end] for start, end in zip(starts, ends) if start < end]


def strip_break(line: str) -> str:
    """``line`` without its trailing break (CRLF, CR or LF)."""
    if line.endswith("\r\n"):
        return line[:-2]
    if line.endswith(("\r", "\n")):
        return line[:-1]
    return line


def to_lf(text: str) -> str:
    """``text`` with every line break written as ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def to_newline(text: str, newline: str) -> str:
    """``text`` (written with \\n) using ``newline`` for every break."""
    return to_lf(text).replace("\n", newline) if newline != "\n" else text


def line_count(text: str) -> int:
    """How many lines ``text`` has (a final break does not start another line)."""
    if "\r" in text:
        return len(split_lines(text))
    # Every break is an LF: count them rather than build the lines.
    return text.count("\n") + (0 if text == "" or text.endswith("\n") else 1)


class LineIndex:
    """Offsets of a text's lines, for turning an offset into a 1-based line and column."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)

    def line_of(self, offset: int) -> int:
        """1-based line of the character at ``offset``."""
        return bisect_right(self.starts, offset)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of the character at ``offset``; the column counts characters."""
        line = self.line_of(offset)
        return line, offset - self.starts[line - 1] + 1

    def line_start(self, line: int) -> int:
        return self.starts[line - 1]

    def line_end(self, line: int) -> int:
        """Offset just after ``line``'s break (the end of the text for the last line)."""
        return self.starts[line] if line < len(self.starts) else len(self.text)

    def line_text(self, line: int) -> str:
        """The text of 1-based ``line`` without its break."""
        return strip_break(self.text[self.line_start(line):self.line_end(line)])


def line_at(text: str, offset: int) -> int:
    """1-based line of the character at ``offset`` (for a single lookup; use :class:`LineIndex`
    for many)."""
    if offset >= 0 and "\r" not in text:  # every break is an LF: count them, no regex
        return 1 + text.count("\n", 0, offset)
    if 0 < offset < len(text) and text[offset - 1:offset + 1] == "\r\n":
        offset -= 1  # the LF of a CRLF is on the line of its CR
    return 1 + len(_BREAK.findall(text, 0, offset))
