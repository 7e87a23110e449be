"""Plan the new text of a card (regenerated regions, managed metadata) and write it atomically.

``plan_sync`` is pure: card + :class:`~cardguard.expect.expected.Expected` -> SyncPlan (the new
text, what changed, findings). It computes nothing the card should say: every region's text and
every managed value comes from the Expected value (cardguard/expect/expected.py); this module
turns the differences into text edits. Only text between markers and managed metadata values
change; everything else is kept byte for byte (BOM, line endings, final newline included). A
region whose current text says the same as the expected one, up to formatting (see
:func:`~cardguard.expect.facts_compare.normalize_for_drift`), is kept as it is, so cards
written by Trainer / sentence-transformers / PEFT keep their exact wording.

Regions are only *added* with ``add_missing`` (``cardguard sync --add-missing``): where a
library already wrote a region's lines (for example Trainer's table under "### Training
results") exactly those lines are adopted in place by wrapping them in markers
(library_lines.py); the author's text around them stays outside. A required region that has no
such lines is appended at the end of the card under its own heading.
"""

from __future__ import annotations

import difflib
from cardguard.record import Record, factory
from pathlib import Path

from cardguard import codes
from cardguard.card.reader import Card
from cardguard.card.regions import Region, begin_marker, end_marker
from cardguard.edit.edit_check import Refusal, check_edit
from cardguard.edit.managed_metadata import MetadataChange, plan_metadata, read_back_finding
from cardguard.edit.textedit import TextEdit, apply_edits
from cardguard.expect.expected import Expected, ExpectedRegion
from cardguard.expect.generated import REGIONS
from cardguard.findings import Finding
from cardguard.lines import line_count, split_lines_keepends, to_lf, to_newline
from cardguard.safe_paths import write_file


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
    library_drift: list[ExpectedRegion] = factory(list)
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


class FileChange(Record, frozen=True):
    """A file next to the card that sync would write."""

    path: Path
    display: str
    line: int  # where the change is (1 for a new file)
    old: str | None  # None: the file is new
    new: str

    def diff(self) -> str:
        return unified_diff(self.old or "", self.new, self.display)


def plan_sync(card: Card, expected: Expected) -> SyncPlan:
    """The edits that make ``card`` say what ``expected`` (derived for this card) says."""
    plan = SyncPlan(card.path, card.text, card.text, has_bom=card.has_bom)
    options = expected.options
    if not expected.scan.ok:
        plan.findings.extend(expected.scan.findings)
        plan.blocked = True
        return plan
    edits: list[TextEdit] = []
    meta = plan_metadata(card, expected.metadata, options.managed_keys)
    plan.findings.extend(meta.findings)
    plan.findings.extend(expected.findings)
    edits.extend(meta.edits)
    for region in expected.marked:
        edits.extend(_region_edit(plan, card, region))
    edits.extend(_adopted(plan, card, expected.adopted))
    edits.extend(_appended(plan, card, expected.appended))
    plan.library_drift = [section for section in expected.library_sections
                          if section.text is not None and not section.agrees()]
    present = {region.name for region in expected.scan.regions}
    present |= {change.name for change in plan.region_changes if change.old is None}
    missing = [name for name in options.required_regions if name not in present]
    plan.unfillable_regions = [name for name in missing if name in expected.unfillable]
    plan.missing_regions = [name for name in missing if name not in plan.unfillable_regions]
    new_text = apply_edits(card.text, edits)
    read_back = read_back_finding(card, new_text, meta) if meta.edits else None
    if read_back is not None:
        plan.findings.append(read_back)
        edits = [edit for edit in edits if edit not in meta.edits]
        new_text = apply_edits(card.text, edits)
    else:
        plan.metadata_changes = meta.changes
    metadata_edited = bool(plan.metadata_changes)
    refusal = check_edit(card, new_text, edits, _planned_regions(card, expected.scan.regions, plan.region_changes),
                         meta.expected if metadata_edited else card.metadata, metadata_edited, expected.card_lines)
    if refusal is not None:
        _refuse(plan, refusal)
        return plan
    plan.new_text = new_text
    if plan.library_drift:
        plan.checked_text = apply_edits(card.text, edits + [_library_edit(card, section, section.text)
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


def _region_edit(plan: SyncPlan, card: Card, region: ExpectedRegion) -> list[TextEdit]:
    """A region between markers whose text says something else than expected."""
    place = region.place
    assert place is not None
    if region.text is None or region.agrees():
        return []
    plan.region_changes.append(RegionChange(region.name, place.line, place.current, region.text))
    return [TextEdit(place.start, place.end, to_newline(region.text, card.newline))]


def _adopted(plan: SyncPlan, card: Card, sections: tuple[ExpectedRegion, ...]) -> list[TextEdit]:
    """A library's lines put under markers: kept as they are when they say what is expected."""
    edits = []
    for section in sections:
        if section.text is None or section.place is None:
            continue
        kept = section.place.current if section.agrees() else section.text
        plan.region_changes.append(RegionChange(section.name, section.place.line, None, kept))
        edits.append(_library_edit(card, section, _wrapped(section.name, kept)))
    return edits


def _library_edit(card: Card, section: ExpectedRegion, content: str) -> TextEdit:
    """Replace a library's lines with ``content``, keeping a missing final newline missing."""
    place = section.place
    assert place is not None
    content = content[:-1] if place.at_end_without_break else content
    return TextEdit(place.start, place.end, to_newline(content, card.newline))


def _wrapped(name: str, content: str) -> str:
    return f"{begin_marker(name)}\n{content}{end_marker(name)}\n"


def _appended(plan: SyncPlan, card: Card, regions: tuple[ExpectedRegion, ...]) -> list[TextEdit]:
    """Required regions no library wrote, each under its own heading at the end of the card."""
    known = [region for region in regions if region.text is not None]
    if not known:  # most plans: nothing to append, and the card's lines need not be counted
        return []
    blocks = []
    line = line_count(card.text) + 1
    for region in known:
        spec = REGIONS[region.name]
        plan.region_changes.append(RegionChange(region.name, line, None, region.text))
        blocks.append(f"{'#' * spec.level} {spec.heading}\n\n{_wrapped(region.name, region.text)}")
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
