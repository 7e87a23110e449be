"""Generated regions: the parts of a card between cardguard's markers.

Syntax (one marker per line, nothing else on the line but spaces)::

    <!-- cardguard:begin NAME -->
    ... text cardguard owns and rewrites on `cardguard sync` ...
    <!-- cardguard:end NAME -->

NAME is one of :data:`REGION_NAMES`. Everything outside the markers belongs to the author.
A marker is live only in the Markdown body, on a line :func:`cardguard.card.markdown.live_lines`
calls live: in the front matter, a fenced or indented code block, a blockquote, an HTML block
or a multi-line HTML comment it is the author's text, not a marker (documentation may show
them), and ``sync`` never treats it as a region.
Problems (unknown name, a begin without an end, nesting, the same region twice) are findings;
a card with any of them is not rewritten by ``sync``.

This module only reads: it finds regions and says where they are. ``sync.py`` rewrites them.
"""

from __future__ import annotations

import re

from cardguard import codes
from cardguard.card.reader import body_offset
from cardguard.findings import Finding
from cardguard.lines import line_at, line_starts, strip_break
from cardguard.lines import split_lines as split_text_lines
from cardguard.card.markdown import live_lines
from cardguard.record import Record, factory

REGION_NAMES: tuple[str, ...] = (
    "model-summary",
    "labels",
    "hyperparameters",
    "training-results",
    "training-curves",
    "eval-results",
    "framework-versions",
    "st-architecture",
    "st-details",
    "peft-adapter",
    "environmental-impact",
    "get-started",
)

_MARKER_START = re.compile(r"<!--\s*cardguard:(begin|end)\b")
_LOOSE_MARKER = re.compile(r"<!--\s*cardguard:(begin|end)\b")


def begin_marker(name: str) -> str:
    return f"<!-- cardguard:begin {name} -->"


def end_marker(name: str) -> str:
    return f"<!-- cardguard:end {name} -->"


class Region(Record, frozen=True):
    """One well-formed region. Offsets index the card text (without BOM)."""

    name: str
    begin_line: int  # 1-based line of the begin marker
    end_line: int  # 1-based line of the end marker
    content_start: int  # offset just after the begin marker's line break
    content_end: int  # offset of the start of the end marker's line


class RegionScan(Record):
    regions: list[Region] = factory(list)
    findings: list[Finding] = factory(list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def by_name(self) -> dict[str, Region]:
        return {region.name: region for region in self.regions}


class _Line(Record, frozen=True):
    number: int
    start: int
    end: int  # offset after the line break
    text: str  # without the line break


def split_lines(text: str) -> list[_Line]:
    """Lines with their offsets, in the one line model (cardguard/lines.py)."""
    starts = line_starts(text)
    ends = [*starts[1:], len(text)]
    return [
        _Line(number, start, end, strip_break(text[start:end]))
        for number, (start, end) in enumerate(zip(starts, ends), start=1) if start < end
    ]


def match_marker(line: str) -> tuple[str, str] | None:
    """(kind, name text) of a line holding only ``<!-- cardguard:begin|end NAME -->`` (and
    spaces or tabs around it). String operations, not one regex: ``\\s*(.*?)\\s*-->[ \\t]*$``
    backtracks quadratically over a long run of spaces."""
    stripped = line.strip(" \t")
    start = _MARKER_START.match(stripped)
    if start is None or not stripped.endswith("-->") or len(stripped) < start.end() + 3:
        return None
    return start.group(1), stripped[start.end():-3].strip()


def scan_regions(text: str, path: str, known: tuple[str, ...] = REGION_NAMES,
                 lines: list[BodyLine] | None = None) -> RegionScan:
    """Find every region of a card's text, with findings for malformed markers; ``lines``:
    its :func:`body_lines`, when the caller has them already."""
    scan = RegionScan()
    open_region: tuple[str, BodyLine] | None = None
    seen: dict[str, int] = {}
    for line in marker_lines(text) if lines is None else [line for line in lines if line.live]:
        marker = match_marker(line.text)
        if marker is None:
            if _LOOSE_MARKER.search(line.text):
                scan.findings.append(codes.finding(
                    "CG402", path, line.number, 1,
                    "a cardguard marker must stand alone on its line: <!-- cardguard:begin NAME -->",
                ))
            continue
        kind, name = marker
        if not _check_name(scan, path, line, kind, name, known):
            continue
        if kind == "begin":
            open_region = _open(scan, path, line, name, open_region, seen)
        else:
            open_region = _close(scan, path, line, name, open_region)
    if open_region is not None:
        name, begin = open_region
        scan.findings.append(codes.finding(
            "CG402", path, begin.number, 1, f"region {name!r} has no end marker",
            f"add a line {end_marker(name)} after the region",
        ))
    return scan


class BodyLine(Record, frozen=True):
    number: int  # 1-based line of the file
    start: int
    end: int  # offset after the line break
    text: str  # without the line break
    live: bool  # plain Markdown of the body (:func:`live_lines`): the only place for a marker


def body_lines(text: str) -> list[BodyLine]:
    """The lines of the card's Markdown body (after the front matter), each with its liveness."""
    body_start = body_offset(text)
    body = text[body_start:]
    texts = split_text_lines(body)  # no empty line after a final break: zip below stops at the last text
    starts = line_starts(body)
    first_number = line_at(text, body_start)
    return [BodyLine(first_number + index, body_start + start, body_start + end, line_text, live)
            for index, (start, end, line_text, live)
            in enumerate(zip(starts, [*starts[1:], len(body)], texts, live_lines(texts)))]


def marker_lines(text: str) -> list[BodyLine]:
    """The lines of the card's body that may hold a marker."""
    return [line for line in body_lines(text) if line.live]


def _check_name(scan: RegionScan, path: str, line: BodyLine, kind: str, name: str, known: tuple[str, ...]) -> bool:
    if not name or " " in name:
        scan.findings.append(codes.finding(
            "CG402", path, line.number, 1, f"the {kind} marker needs exactly one region name",
            f"write {begin_marker('NAME') if kind == 'begin' else end_marker('NAME')}",
        ))
        return False
    if name not in known:
        scan.findings.append(codes.finding(
            "CG401", path, line.number, 1, f"unknown region {name!r}",
            f"use one of: {', '.join(known)}",
        ))
        return False
    return True


def _open(
    scan: RegionScan, path: str, line: BodyLine, name: str, open_region: tuple[str, BodyLine] | None,
    seen: dict[str, int],
) -> tuple[str, BodyLine] | None:
    if open_region is not None:
        scan.findings.append(codes.finding(
            "CG403", path, line.number, 1,
            f"region {name!r} begins inside region {open_region[0]!r} (line {open_region[1].number}); regions cannot nest",
            f"end {open_region[0]!r} first",
        ))
        return open_region
    if name in seen:
        scan.findings.append(codes.finding(
            "CG404", path, line.number, 1, f"region {name!r} appears twice (first at line {seen[name]})",
            "remove one of the two regions",
        ))
    seen.setdefault(name, line.number)
    return (name, line)


def _close(
    scan: RegionScan, path: str, line: BodyLine, name: str, open_region: tuple[str, BodyLine] | None
) -> tuple[str, BodyLine] | None:
    if open_region is None:
        scan.findings.append(codes.finding(
            "CG402", path, line.number, 1, f"end marker of region {name!r} without a begin marker",
            f"add {begin_marker(name)} before it, or remove it",
        ))
        return None
    open_name, begin = open_region
    if open_name != name:
        scan.findings.append(codes.finding(
            "CG402", path, line.number, 1,
            f"end marker of region {name!r} while region {open_name!r} (line {begin.number}) is open",
            f"close {open_name!r} with {end_marker(open_name)}",
        ))
        return open_region
    if not any(region.name == name for region in scan.regions):
        scan.regions.append(Region(name, begin.number, line.number, begin.end, line.start))
    return None
