"""Where a card holds each region's text: between cardguard's markers, or in the lines a
library wrote for it without markers (Trainer's table under "### Training results", ...).

What a region should say may depend on the text it replaces (framework versions merge with
the card's lines, a training-results table keeps the card's column order), so expected.py
finds the place first and renders for it. Offsets index the card text (without BOM).
"""

from __future__ import annotations

import bisect
from typing import Any

from cardguard.card.markdown import live_lines
from cardguard.card.reader import Card
from cardguard.card.regions import REGION_NAMES, BodyLine, Region, begin_marker
from cardguard.expect.generated import RegionSpec
from cardguard.lines import to_lf
from cardguard.record import Record


class RegionPlace(Record, frozen=True):
    """The span of the card a region's text is in."""

    start: int
    end: int
    line: int  # the begin marker's line; for a library's lines, the first of them
    last_line: int
    current: str  # the text there, ``\n`` line breaks (a library's lines: ending with one)
    marked: bool  # between markers (else lines a library wrote)
    at_end_without_break: bool = False  # the card ends inside it, without a final line break


def marked_place(card: Card, region: Region) -> RegionPlace:
    """The text between a region's markers."""
    current = to_lf(card.text[region.content_start:region.content_end])
    return RegionPlace(region.content_start, region.content_end, region.begin_line, region.end_line, current,
                       marked=True)


def library_place(card: Card, anchor: tuple[int, int, int]) -> RegionPlace:
    """The lines a library wrote at ``anchor`` (start, end, first line)."""
    start, end, line = anchor
    text = to_lf(card.text[start:end])
    at_end_without_break = not text.endswith("\n")
    text += "\n" if at_end_without_break else ""
    return RegionPlace(start, end, line, line + text.count("\n") - 1, text, marked=False,
                       at_end_without_break=at_end_without_break)


def end_is_live(lines: list[BodyLine]) -> bool:
    """Whether a region appended at the end would be live Markdown, not swallowed by a code
    block, comment or HTML block the author left open (then the region stays missing)."""
    return live_lines([line.text for line in lines] + ["", begin_marker(REGION_NAMES[0])])[-1]


def find_anchor(card: Card, lines: list[BodyLine], spec: RegionSpec) -> tuple[int, int, int] | None:
    """Offsets (start, end) of the lines a library wrote for this region, and the first one's
    line: under one of the region's headings (anywhere in the body when it has none).
    ``lines``: the body's lines as :func:`adoptable_lines` gives them."""
    if card.body is None or spec.adopt is None:
        return None
    if not spec.anchors:
        return _adopted_block(lines, spec)
    anchored = [section for section in card.body.sections if section.heading.key in spec.anchors]
    if not anchored:  # most cards: none of the region's headings, nothing to look at
        return None
    numbers = [line.number for line in lines]
    heading_lines = [heading.line for heading in card.body.headings]
    for section in anchored:
        last = _last_own_line(heading_lines, section)
        own = lines[bisect.bisect_left(numbers, section.first_line):bisect.bisect_right(numbers, last)]
        found = _adopted_block(own, spec)
        if found is not None:
            return found
    return None


def adoptable_lines(card: Card, lines: list[BodyLine]) -> list[BodyLine]:
    """``lines`` with only those live where markers may be added: live Markdown
    (:func:`live_lines`) that the section reader also shows. The section reader takes an
    unclosed ``<!--`` for a comment to the end, even inside an HTML block where CommonMark does
    not; a marker line there would end that comment for it and bring headings below into view,
    so the next sync would adopt again (sync must be stable)."""
    body = card.body
    if body is None:
        return lines

    def shown(number: int) -> bool:
        index = number - body.first_line
        return 0 <= index < len(body.visible) and body.visible[index]
    return [line if not line.live or shown(line.number) else line.replace(live=False) for line in lines]


def _adopted_block(lines: list[BodyLine], spec: RegionSpec) -> tuple[int, int, int] | None:
    block = spec.adopt([line.text for line in lines], [line.live for line in lines]) if lines and spec.adopt else None
    if block is None:
        return None
    first, last = lines[block[0]], lines[block[1]]
    return first.start, last.end, first.number


def _last_own_line(heading_lines: list[int], section: Any) -> int:
    """The line before the next heading of any level (the section's own text ends there)."""
    following = bisect.bisect_right(heading_lines, section.heading.line)
    return heading_lines[following] - 1 if following < len(heading_lines) else section.last_line
