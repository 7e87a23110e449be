"""Plan the new text of a card (regenerated regions, managed metadata) and write it atomically.

``plan_sync`` is pure: card + facts -> SyncPlan (the new text, what changed, findings).
Only text between markers and managed metadata values change; everything else is kept byte
for byte (BOM, line endings, final newline included). A region whose current text says the
same as the regenerated one, up to formatting (see :func:`normalize_for_drift`), is kept as it
is, so cards written by Trainer / sentence-transformers / PEFT keep their exact wording.

Regions are only *added* with ``add_missing`` (``cardguard sync --add-missing``): where a
library already wrote a region's lines (for example Trainer's table under "### Training
results") exactly those lines are adopted in place by wrapping them in markers
(library_lines.py); the author's text around them stays outside. A required region that has no
such lines is appended at the end of the card under its own heading.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections import Counter
from pathlib import Path
from typing import Any

from cardguard import codes
from cardguard.artifacts import Facts
from cardguard.card.reader import Card
from cardguard.edit.edit_check import Refusal, check_edit
from cardguard.expect.evaluation import EvaluationTarget
from cardguard.findings import Finding
from cardguard.expect.generated import REGIONS, RegionSpec
from cardguard.lines import line_count, split_lines_keepends
from cardguard.edit.managed_metadata import MANAGED_KEYS, MetadataChange, plan_metadata, verify
from cardguard.card.markdown import live_lines
from cardguard.card.regions import REGION_NAMES, BodyLine, Region, begin_marker, body_lines, end_marker, scan_regions
from cardguard.expect.render import RenderError, find_template, render
from cardguard.safe_paths import write_file
from cardguard.edit.textedit import TextEdit, apply_edits, to_lf, to_newline
from cardguard.record import Record, factory


class SyncOptions(Record, frozen=True):
    managed_keys: tuple[str, ...] = MANAGED_KEYS
    required_regions: tuple[str, ...] = ()
    add_missing: bool = False
    override_dirs: tuple[Path, ...] = ()
    evaluation: EvaluationTarget = EvaluationTarget()
    # check only: compare the library's own sections that have no markers yet with the facts
    compare_library_sections: bool = False


class RegionChange(Record, frozen=True):
    name: str
    line: int  # the begin marker's line (or where the region would be added)
    old: str | None  # None: the region is added
    new: str


class SyncPlan(Record):
    path: str
    original: str  # the card's text, without BOM
    new_text: str
    has_bom: bool = False
    region_changes: list[RegionChange] = factory(list)
    metadata_changes: list[MetadataChange] = factory(list)
    missing_regions: list[str] = factory(list)
    unfillable_regions: list[str] = factory(list)  # required, but no facts to fill them
    findings: list[Finding] = factory(list)
    blocked: bool = False  # malformed markers: nothing may be written
    # With ``compare_library_sections``: unmarked library sections that differ from the facts,
    # and the card as it would read with them rewritten too (None: none differs).
    library_drift: list[LibrarySection] = factory(list)
    checked_text: str | None = None

    @property
    def changed(self) -> bool:
        return self.new_text != self.original

    def new_bytes(self) -> bytes:
        return (("\ufeff" if self.has_bom else "") + self.new_text).encode("utf-8")

    def diff(self) -> str:
        return unified_diff(self.original, self.new_text, self.path)

    def check_diff(self) -> str:
        """What `check` shows: the sync diff and the drifted unmarked library sections."""
        return unified_diff(self.original, self.new_text if self.checked_text is None else self.checked_text, self.path)


class LibrarySection(Record, frozen=True):
    """Lines a library wrote for a region, found outside any markers (library_lines.py)."""

    name: str
    line: int  # the first line
    last_line: int
    start: int  # offsets into the card text
    end: int
    text: str  # ``\n`` line breaks, ending with one
    rendered: str  # what the region would say, from the facts
    at_end_without_break: bool  # the card ends inside it, without a final line break

    def agrees(self) -> bool:
        return same_facts(self.text, self.rendered, REGIONS[self.name])

    def differing_lines(self) -> int:
        """How many lines say something else, compared as ``agrees`` compares them."""
        spec = REGIONS[self.name]
        old, new = Counter(_compared_lines(self.text, spec)), Counter(_compared_lines(self.rendered, spec))
        return max(sum((old - new).values()), sum((new - old).values()))

    def replacement(self, content: str, newline: str) -> str:
        """``content`` in the card's line breaks, keeping a missing final newline missing."""
        return to_newline(content[:-1] if self.at_end_without_break else content, newline)


def plan_sync(card: Card, facts: Facts, options: SyncOptions = SyncOptions()) -> SyncPlan:
    plan = SyncPlan(card.path, card.text, card.text, has_bom=card.has_bom)
    scan = scan_regions(card.text, card.path)
    if not scan.ok:
        plan.findings.extend(scan.findings)
        plan.blocked = True
        return plan
    metadata = card.metadata or {}
    edits: list[TextEdit] = []
    meta = plan_metadata(card, facts, options.managed_keys, options.evaluation)
    plan.findings.extend(meta.findings)
    edits.extend(meta.edits)
    for region in scan.regions:
        edits.extend(_region_edit(plan, card, facts, metadata, region, options))
    present = {region.name for region in scan.regions}
    if options.add_missing:
        edits.extend(_added_regions(plan, card, facts, metadata, present, options))
    if options.compare_library_sections and not options.add_missing:
        plan.library_drift = _library_drift(plan, card, facts, metadata, scan.regions, options)
    present |= {change.name for change in plan.region_changes if change.old is None}
    missing = [name for name in options.required_regions if name not in present]
    plan.unfillable_regions = [name for name in missing if REGIONS[name].build(facts, metadata, None) is None]
    plan.missing_regions = [name for name in missing if name not in plan.unfillable_regions]
    new_text = apply_edits(card.text, edits)
    if meta.edits and not verify(new_text, card.path, meta.expected):
        plan.findings.append(codes.finding("CG409", card.path, 1, 1,
                                           "the metadata edits did not give the expected values; metadata left as it is"))
        edits = [edit for edit in edits if edit not in meta.edits]
        new_text = apply_edits(card.text, edits)
    else:
        plan.metadata_changes = meta.changes
    metadata_edited = bool(plan.metadata_changes)
    refusal = check_edit(card, new_text, edits, _planned_regions(card, scan.regions, plan.region_changes),
                         meta.expected if metadata_edited else card.metadata, metadata_edited)
    if refusal is not None:
        _refuse(plan, refusal)
        return plan
    plan.new_text = new_text
    if plan.library_drift:
        plan.checked_text = apply_edits(card.text, edits + [
            TextEdit(section.start, section.end, section.replacement(section.rendered, card.newline))
            for section in plan.library_drift])
    return plan


def _planned_regions(card: Card, regions: list[Region], changes: list[RegionChange]) -> dict[str, str]:
    """Every region's text after the plan (``\n`` line breaks)."""
    planned = {region.name: to_lf(card.text[region.content_start:region.content_end]) for region in regions}
    planned.update({change.name: change.new for change in changes})
    return planned


def _refuse(plan: SyncPlan, refusal: Refusal) -> None:
    """Keep the card as it is: the planned text would change meaning outside its edits."""
    plan.findings.append(codes.finding(
        "CG418", plan.path, refusal.line, 1, f"sync refused to write the card: {refusal.reason}",
        "look for text in the generated content (a template, a label, a value) that opens a code block, "
        "a comment or a marker",
    ))
    plan.region_changes, plan.metadata_changes = [], []
    plan.blocked = True


# -- regions that exist ----------------------------------------------------------------------

def _region_edit(
    plan: SyncPlan, card: Card, facts: Facts, metadata: dict[str, Any], region: Region, options: SyncOptions
) -> list[TextEdit]:
    spec = REGIONS[region.name]
    previous = to_lf(card.text[region.content_start:region.content_end])
    rendered = _render_region(plan, spec, facts, metadata, previous, region.begin_line, options)
    if rendered is None or same_facts(previous, rendered, spec):
        return []
    plan.region_changes.append(RegionChange(region.name, region.begin_line, previous, rendered))
    return [TextEdit(region.content_start, region.content_end, to_newline(rendered, card.newline))]


def _render_region(
    plan: SyncPlan, spec: RegionSpec, facts: Facts, metadata: dict[str, Any], previous: str | None, line: int,
    options: SyncOptions,
) -> str | None:
    """The region's new text ending with a line break ('' when empty), or None if unavailable."""
    context = spec.build(facts, metadata, previous)
    if context is None:
        return None
    try:
        text = render(find_template(spec.name, options.override_dirs), context)
    except RenderError as error:
        plan.findings.append(codes.finding("CG407", plan.path, line, 1, f"region {spec.name!r}: {error}"))
        return None
    core = text.strip("\n")
    return core + "\n" if core.strip() else ""


# -- drift comparison ------------------------------------------------------------------------

_ENUM_OPTIMIZER = re.compile(r"OptimizerNames\.([A-Z0-9_]+)")
_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e-?\d+)?(?![\w.])")
_ALIGNMENT_ROW = re.compile(r"^\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?$")


def normalize_for_drift(text: str, unordered: bool = False) -> list[str]:
    """The lines of a region as compared for drift: formatting that differs between library
    or Python versions is ignored (``OptimizerNames.ADAMW_TORCH`` vs ``adamw_torch``, ``2.0``
    vs ``2``, table padding and alignment, trailing spaces, blank lines)."""
    lines = []
    for raw in to_lf(text).split("\n"):
        line = raw.strip()
        if not line:
            continue
        line = _ENUM_OPTIMIZER.sub(lambda match: match.group(1).lower(), line)
        line = _NUMBER.sub(lambda match: _plain_number(match.group(0)), line)
        if line.startswith("|"):
            line = "---" if _ALIGNMENT_ROW.match(line) else "|".join(cell.strip() for cell in line.strip("|").split("|"))
        lines.append(line)
    return sorted(lines) if unordered else lines


def _plain_number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() and "e" not in text else repr(value)


def same_facts(old: str, new: str, spec: RegionSpec) -> bool:
    return _compared_lines(old, spec) == _compared_lines(new, spec)


def _compared_lines(text: str, spec: RegionSpec) -> list[str]:
    return spec.compare(text) if spec.compare is not None else normalize_for_drift(text, spec.unordered)


# -- adding regions ----------------------------------------------------------------------------

def _added_regions(
    plan: SyncPlan, card: Card, facts: Facts, metadata: dict[str, Any], present: set[str], options: SyncOptions
) -> list[TextEdit]:
    edits: list[TextEdit] = []
    appended: list[str] = []
    taken: list[tuple[int, int]] = []
    lines = body_lines(card.text)
    for name in REGION_NAMES:
        if name in present:
            continue
        anchor = _find_anchor(card, lines, REGIONS[name])
        if anchor is None:
            if name in options.required_regions:
                appended.append(name)
            continue
        if any(anchor[0] < end and start < anchor[1] for start, end in taken):
            continue  # another region adopts these lines: regions cannot share or nest
        taken.append((anchor[0], anchor[1]))
        section = _library_section(plan, card, facts, metadata, name, anchor, options)
        if section is None:
            continue
        kept = section.text if section.agrees() else section.rendered
        plan.region_changes.append(RegionChange(name, section.line, None, kept))
        edits.append(TextEdit(section.start, section.end, section.replacement(_wrapped(name, kept), card.newline)))
    if appended and _end_is_live(lines):
        edits.extend(_appended(plan, card, facts, metadata, appended, options))
    return edits


def _library_section(
    plan: SyncPlan, card: Card, facts: Facts, metadata: dict[str, Any], name: str, anchor: tuple[int, int, int],
    options: SyncOptions,
) -> LibrarySection | None:
    """The library's lines at ``anchor`` and what the region would say; None if unavailable."""
    start, end, line = anchor
    text = to_lf(card.text[start:end])
    at_end_without_break = not text.endswith("\n")
    text += "\n" if at_end_without_break else ""
    rendered = _render_region(plan, REGIONS[name], facts, metadata, text, line, options)
    if rendered is None:
        return None
    return LibrarySection(name, line, line + text.count("\n") - 1, start, end, text, rendered, at_end_without_break)


def _library_drift(
    plan: SyncPlan, card: Card, facts: Facts, metadata: dict[str, Any], regions: list[Region], options: SyncOptions
) -> list[LibrarySection]:
    """The unmarked sections a library wrote (the ones `--add-missing` would adopt) that say
    something else than the facts, compared as sync compares a region. Lines inside another
    region belong to that region (CG405), and a section without facts is never drift."""
    present = {region.name for region in regions}
    taken = [(region.content_start, region.content_end) for region in regions]
    lines = body_lines(card.text)
    drifted = []
    for name in REGION_NAMES:
        spec = REGIONS[name]
        if name in present or not spec.library_section:
            continue
        anchor = _find_anchor(card, lines, spec)
        if anchor is None or any(anchor[0] < end and start < anchor[1] for start, end in taken):
            continue  # lines another region, or another library section, already holds
        taken.append((anchor[0], anchor[1]))
        section = _library_section(plan, card, facts, metadata, name, anchor, options)
        if section is not None and not section.agrees():
            drifted.append(section)
    return drifted


def _end_is_live(lines: list[BodyLine]) -> bool:
    """Whether a region appended at the end would be live Markdown, not swallowed by a code
    block, comment or HTML block the author left open (then the region stays missing)."""
    return live_lines([line.text for line in lines] + ["", begin_marker(REGION_NAMES[0])])[-1]


def _wrapped(name: str, content: str) -> str:
    return f"{begin_marker(name)}\n{content}{end_marker(name)}\n"


def _find_anchor(card: Card, lines: list[BodyLine], spec: RegionSpec) -> tuple[int, int, int] | None:
    """Offsets (start, end) of the lines a library wrote for this region, and the first one's
    line: under one of the region's headings (anywhere in the body when it has none)."""
    if card.body is None or spec.adopt is None:
        return None
    lines = _adoptable(card, lines)
    if not spec.anchors:
        return _adopted_block(lines, spec)
    numbers = [line.number for line in lines]
    heading_lines = [heading.line for heading in card.body.headings]
    for section in card.body.sections:
        if section.heading.key in spec.anchors:
            last = _last_own_line(heading_lines, section)
            own = lines[bisect.bisect_left(numbers, section.first_line):bisect.bisect_right(numbers, last)]
            found = _adopted_block(own, spec)
            if found is not None:
                return found
    return None


def _adoptable(card: Card, lines: list[BodyLine]) -> list[BodyLine]:
    """``lines`` with only those live where markers may be added: live Markdown
    (:func:`live_lines`) that the section reader also shows. The section reader takes an
    unclosed ``<!--`` for a comment to the end, even inside an HTML block where CommonMark does
    not; a marker line there would end that comment for it and bring headings below into view,
    so the next sync would adopt again (sync must be stable)."""
    body = card.body
    assert body is not None

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


def _appended(
    plan: SyncPlan, card: Card, facts: Facts, metadata: dict[str, Any], names: list[str], options: SyncOptions
) -> list[TextEdit]:
    blocks = []
    line = line_count(card.text) + 1
    for name in names:
        spec = REGIONS[name]
        rendered = _render_region(plan, spec, facts, metadata, None, line, options)
        if rendered is None:
            continue
        plan.region_changes.append(RegionChange(name, line, None, rendered))
        blocks.append(f"{'#' * spec.level} {spec.heading}\n\n{_wrapped(name, rendered)}")
    if not blocks:
        return []
    text = card.text
    ends_with_break = text.endswith(("\n", "\r"))
    addition = ("" if ends_with_break else "\n") + ("\n" if text.strip() else "") + "\n".join(blocks)
    if not ends_with_break:
        addition = addition.rstrip("\n")  # keep "no final newline" as the author had it
    return [TextEdit(len(text), len(text), to_newline(addition, card.newline))]


# -- output ------------------------------------------------------------------------------------

def unified_diff(old: str, new: str, path: str) -> str:
    lines = difflib.unified_diff(
        split_lines_keepends(to_lf(old)), split_lines_keepends(to_lf(new)),
        fromfile=diff_label("a", path), tofile=diff_label("b", path),
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def diff_label(side: str, path: str) -> str:
    """The ``---``/``+++`` name of ``path`` on ``side`` ("a" or "b"), as git writes it:
    ``a/model/README.md``; an absolute path loses its leading slash (``a/home/user/...``,
    never ``a//home/...``), so ``git apply``/``patch -p1`` run from the root still find it."""
    return f"{side}/{path.lstrip('/')}"


def write_atomically(path: Path, data: bytes, boundary: Path | None = None) -> None:
    """Replace ``path``'s content atomically through the gate (:func:`cardguard.safe_paths.write_file`):
    temporary file beside it, flush, fsync, rename; mode, owner and group kept; a linked card
    written through to its target when that target stays inside ``boundary`` (the card's
    folder when not given), outside `.git` and, in a git work tree, is tracked.
    """
    write_file(path, boundary if boundary is not None else path.parent, data)
