"""Read a card again after ``sync`` planned its new text; refuse the write when anything outside
the edited spans would change meaning.

Edits are minimal by construction, but what they insert can still change how the rest of the
card reads: a region whose new text opens a code fence or an HTML comment swallows every line
after it, text that looks like a marker splits or duplicates a region, and a front-matter edit
could change another key. So the new text is parsed again and compared with the old:

- metadata: byte-identical front matter when no metadata was edited, else exactly the
  metadata the edits were meant to give;
- regions: the regions the plan expects, each holding exactly the planned text, and no other;
- every line outside the edited spans: the same text with the same role (front matter, hidden
  in code/quote/HTML, heading, setext underline, plain text).

This module only reads; ``sync.py`` turns a :class:`Refusal` into finding CG418.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from cardguard.card.reader import Card, body_offset, read_front_matter
from cardguard.card.regions import BodyLine, body_lines, scan_regions
from cardguard.edit.textedit import TextEdit
from cardguard.lines import line_starts, split_lines, to_lf
from cardguard.record import Record

_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")


class Refusal(Record, frozen=True):
    line: int  # a line of the card as it is on disk
    reason: str


def check_edit(card: Card, new_text: str, edits: list[TextEdit], regions: dict[str, str],
               metadata: Any, metadata_edited: bool, card_lines: Sequence[BodyLine] | None = None) -> Refusal | None:
    """None when ``new_text`` (``card.text`` with ``edits`` applied) says the same as the card
    outside the edits; ``regions``: every region's expected text (``\\n`` line breaks);
    ``metadata``: the metadata the edits were planned to give; ``card_lines``: the
    :func:`body_lines` of ``card.text``, when the caller has them already."""
    if not edits:
        return None
    old_body = card_lines if card_lines is not None else body_lines(card.text)
    new_body = body_lines(new_text)  # read once: the region scan and the line roles both need it
    return (_metadata_refusal(card, read_front_matter(new_text, card.path), metadata, metadata_edited)
            or _region_refusal(new_text, new_body, regions, card.path)
            or _outside_refusal(_roles(card.text, old_body), _roles(new_text, new_body), edits))


def _metadata_refusal(card: Card, new_card: Card, metadata: Any, edited: bool) -> Refusal | None:
    old, new = card.front_matter, new_card.front_matter
    if old is None or new is None:
        return None if old is new else Refusal(1, "the edit would add or remove the metadata block")
    if edited:
        return None if new_card.metadata == metadata else Refusal(
            old.first_line, "the edit would change metadata other than the managed values it writes")
    return None if new.yaml_text == old.yaml_text else Refusal(
        old.first_line, "the edit would change the metadata block, which it does not own")


def _region_refusal(new_text: str, new_body: list[BodyLine], regions: dict[str, str], path: str) -> Refusal | None:
    scan = scan_regions(new_text, path, lines=new_body)
    if not scan.ok:
        return Refusal(1, f"the new text would break the region markers ({scan.findings[0].message})")
    found = {region.name: to_lf(new_text[region.content_start:region.content_end]) for region in scan.regions}
    if set(found) != set(regions):
        extra = sorted(set(found) ^ set(regions))
        return Refusal(1, f"the new text would add or lose regions ({', '.join(extra)})")
    for name, text in found.items():
        if text != regions[name]:
            return Refusal(1, f"region {name!r} would not hold the text planned for it")
    return None


def _outside_refusal(old_roles: list[tuple[int, str, str, int]], new_roles: list[tuple[int, str, str, int]],
                     edits: list[TextEdit]) -> Refusal | None:
    old_spans, new_spans = _spans(edits)
    old_lines = _untouched(old_roles, old_spans)
    new_lines = _untouched(new_roles, new_spans)
    if [text for _, text, _ in old_lines] != [text for _, text, _ in new_lines]:
        return Refusal(1, "the edit would change lines outside the text it owns")
    for (number, _, old_role), (_, _, new_role) in zip(old_lines, new_lines):
        if old_role != new_role:
            return Refusal(number, f"this line would turn from {old_role} into {new_role}")
    return None


def _spans(edits: list[TextEdit]) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Each edit's span in the old text and in the new one."""
    old, new, shift = [], [], 0
    for edit in sorted(edits, key=lambda item: (item.start, item.end)):
        old.append((edit.start, edit.end))
        new.append((edit.start + shift, edit.start + shift + len(edit.text)))
        shift += len(edit.text) - (edit.end - edit.start)
    return old, new


def _untouched(roles: list[tuple[int, str, str, int]], spans: list[tuple[int, int]]) -> list[tuple[int, str, str]]:
    """(line number, text, role) of every line of ``roles`` whose text no span touches (a line
    break that an edit adds or removes shows as changed text on the line that remains)."""
    starts = [start for _, _, _, start in roles]
    touched: set[int] = set()
    for span in spans:
        low, high = span
        # Only the lines from the one holding the span's start to the last starting at or
        # before its end can touch it: the few a span covers, not every line of the card.
        for index in range(max(bisect_right(starts, low) - 1, 0), bisect_right(starts, high)):
            start = starts[index]
            if _touches(start, start + len(roles[index][1]), span):
                touched.add(index)
    return [(number, line, role) for index, (number, line, role, _) in enumerate(roles) if index not in touched]


def _touches(start: int, end: int, span: tuple[int, int]) -> bool:
    """Whether a span touches the line text ``start:end`` (an empty line: its position)."""
    low, high = span
    if low == high:
        return start < low < end  # an insertion touches a line only inside its text
    return start < high and low < max(end, start + 1)


def _roles(text: str, body: Sequence[BodyLine]) -> list[tuple[int, str, str, int]]:
    """Per line: number, text, role and start offset. ``body``: the text's :func:`body_lines`."""
    front_matter = text[:body_offset(text)]
    roles = [(number, line, "front matter", start)
             for number, (start, line) in enumerate(zip(line_starts(front_matter), split_lines(front_matter)), start=1)]
    previous = ""
    for line in body:
        role = _role(line.text, line.live, previous)
        roles.append((line.number, line.text, role, line.start))
        previous = line.text if role == "text" else ""
    return roles


def _role(text: str, live: bool, previous_text: str) -> str:
    if not live:
        return "code, quote or HTML"
    if _ATX_HEADING.match(text):
        return "heading"
    if previous_text.strip() and _SETEXT_UNDERLINE.match(text):
        return "heading underline"
    return "text"
