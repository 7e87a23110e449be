"""Minimal text edits: replace the characters ``start:end`` of a text, nothing else."""

from __future__ import annotations

from cardguard.lines import line_starts  # noqa: F401  (kept here for existing importers)
from cardguard.record import Record


class TextEdit(Record, frozen=True):
    start: int
    end: int
    text: str


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits (any order). Raises ValueError if two overlap."""
    if not edits:  # most cards: sync has nothing to change
        return text
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end))
    for before, after in zip(ordered, ordered[1:]):
        if after.start < before.end:
            raise ValueError(f"overlapping edits at {before.start}:{before.end} and {after.start}:{after.end}")
    pieces, position = [], 0
    for edit in ordered:
        pieces.append(text[position:edit.start])
        pieces.append(edit.text)
        position = edit.end
    pieces.append(text[position:])
    return "".join(pieces)
