"""What one card should say: derived once from the facts, the card and the settings.

:func:`derive_expected` computes an :class:`Expected` value: for every region the run looks at
(between markers, in a library's unmarked lines, or to be appended), the text the facts give
it or why it cannot be known; every managed metadata key's value or why it cannot be known
(managed.py); the `.eval_results` entry; and what the card's prose should state about the
checkpoint (statements.py). ``check`` diffs the card against it for findings
(cardguard/rules/drift.py, and cardguard/rules/unsynced.py on the sync plan) and ``sync`` diffs
it into edits (cardguard/edit/sync.py); neither works out a piece of it again.

Regions are rendered here, with the built-in templates or a repository's own (render.py);
a template that fails becomes a CG407 finding in ``Expected.findings`` and the region's reason.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Callable

from cardguard import codes
from cardguard.artifacts import Facts
from cardguard.card.reader import Card
from cardguard.card.regions import REGION_NAMES, BodyLine, RegionScan, body_lines, scan_regions
from cardguard.expect.curves import ExpectedFigure, expected_figures
from cardguard.expect.evaluation import EvalResultEntry, EvaluationTarget, eval_results_entry
from cardguard.expect.facts_compare import compared_lines, same_facts
from cardguard.expect.generated import REGIONS, ModelTraits, RegionSpec, model_traits
from cardguard.expect.managed import MANAGED_KEYS, ExpectedMetadata, Unknown, expected_metadata
from cardguard.expect.places import RegionPlace, adoptable_lines, end_is_live, find_anchor, library_place, marked_place
from cardguard.expect.render import RenderError, find_template, render
from cardguard.expect.statements import ExpectedStatements, expected_statements
from cardguard.findings import Finding
from cardguard.lines import line_count
from cardguard.record import Record


# The repository's own template folders for the card, nearest first: a lookup, made only when a
# region is rendered (most cards of a batch render none, and the lookup resolves the folder).
TemplateFolders = Callable[[], tuple[Path, ...]]


def no_template_folders() -> tuple[Path, ...]:
    return ()


class ExpectOptions(Record, frozen=True):
    """What the run looks at, from the settings and the command."""

    managed_keys: tuple[str, ...] = MANAGED_KEYS
    required_regions: tuple[str, ...] = ()
    add_missing: bool = False  # `sync --add-missing`: adopt a library's lines, append required regions
    override_dirs: TemplateFolders = no_template_folders
    evaluation: EvaluationTarget = EvaluationTarget()
    # check only: compare the library's own sections that have no markers yet with the facts
    compare_library_sections: bool = False


class ExpectedRegion(Record, frozen=True):
    """What one region should say, for the place the card holds it in."""

    name: str
    place: RegionPlace | None  # None: the region would be appended at the end of the card
    text: str | None  # ``\n`` line breaks, ending with one ('' when empty); None: unknown
    reason: str = ""  # why the text is unknown

    def agrees(self) -> bool:
        """The card's text there says the same as the expected text, up to formatting."""
        return self.place is not None and self.text is not None and same_facts(
            self.place.current, self.text, REGIONS[self.name])

    def differing_lines(self) -> int:
        """How many lines say something else, compared as ``agrees`` compares them."""
        spec = REGIONS[self.name]
        old = Counter(compared_lines(self.place.current if self.place else "", spec))
        new = Counter(compared_lines(self.text or "", spec))
        return max(sum((old - new).values()), sum((new - old).values()))


class Expected(Record, frozen=True):
    """Everything the card should say that the facts establish, for one card."""

    path: str
    options: ExpectOptions
    scan: RegionScan  # the card's regions (a malformed marker: none is derived)
    marked: tuple[ExpectedRegion, ...]  # the regions between markers, in card order
    adopted: tuple[ExpectedRegion, ...]  # add_missing: a library's lines to put under markers
    appended: tuple[ExpectedRegion, ...]  # add_missing: required regions written at the end
    library_sections: tuple[ExpectedRegion, ...]  # compare_library_sections: a library's unmarked lines
    unfillable: dict[str, str]  # required regions the card lacks and the facts cannot fill -> why
    metadata: ExpectedMetadata
    eval_results: EvalResultEntry | Unknown
    statements: ExpectedStatements  # what the prose should state: parameter count, dtype, labels
    findings: tuple[Finding, ...]  # templates that failed (CG407), in the order they were rendered
    # files beside the card that regions refer to (the training-curves SVG), with their bytes
    figures: tuple[ExpectedFigure, ...] = ()
    # the card's body_lines as the region scan read them: sync's check of its edits reuses them
    # (None when nothing needed them: no marker can be in the card, no library section is looked for)
    card_lines: tuple[BodyLine, ...] | None = None

    def regions(self) -> dict[str, ExpectedRegion]:
        """Every derived region by name (a name is in at most one place)."""
        every = (*self.marked, *self.adopted, *self.appended, *self.library_sections)
        return {region.name: region for region in every}


def derive_expected(card: Card, facts: Facts, options: ExpectOptions = ExpectOptions()) -> Expected:
    """The one :class:`Expected` value for ``card`` beside ``facts``."""
    metadata = card.metadata or {}
    # A library's unmarked lines are looked for only when the facts could fill them: with no
    # artifact every region's text is unknown, so none would be adopted or compared.
    looks_for_library_lines = (options.add_missing or options.compare_library_sections) and holds_artifacts(facts)
    lines = body_lines(card.text) if looks_for_library_lines or may_hold_markers(card.text) else None
    scan = RegionScan() if lines is None else scan_regions(card.text, card.path, lines=lines)
    traits = model_traits(facts)
    renderer = RegionRenderer(card.path, facts, metadata, traits, options.override_dirs)
    marked: list[ExpectedRegion] = []
    adopted: list[ExpectedRegion] = []
    appended: list[ExpectedRegion] = []
    library_sections: list[ExpectedRegion] = []
    if scan.ok:
        marked = [renderer.region(region.name, marked_place(card, region)) for region in scan.regions]
        if looks_for_library_lines and lines is not None:
            if options.add_missing:
                adopted, appended = _added(card, lines, scan, options, renderer)
            else:
                library_sections = _library_sections(card, lines, scan, renderer)
    return Expected(
        path=card.path, options=options, scan=scan, marked=tuple(marked), adopted=tuple(adopted),
        appended=tuple(appended), library_sections=tuple(library_sections),
        unfillable=_unfillable(scan, options, renderer),
        metadata=expected_metadata(metadata, facts, traits, options.evaluation),
        eval_results=_eval_results(card, facts, options.evaluation),
        statements=expected_statements(facts, traits),
        findings=tuple(renderer.findings),
        figures=expected_figures({region.name: region.text for region in (*marked, *adopted, *appended)}, facts),
        card_lines=tuple(lines) if lines is not None else None,
    )


# Not artifact families: where the folder is, and what reading it found or could not read.
_NOT_FAMILIES = frozenset({"model_dir", "lfs_pointers", "remote_files", "findings", "files_read", "hub_id"})
# A field added to Facts counts as a family unless named above, so a new one is never skipped.
_FAMILIES = tuple(name for name in Facts.fields() if name not in _NOT_FAMILIES)


def holds_artifacts(facts: Facts) -> bool:
    """Whether the folder gave any artifact family (weights, config, training log, ...). Every
    region's text, managed value and statement is made from one: without any, none is known."""
    for name in _FAMILIES:
        if getattr(facts, name) is not None:
            return True
    return False


def may_hold_markers(text: str) -> bool:
    """Whether the card's text could hold a region marker, or a line the region scan reports as a
    malformed one: each of them says "cardguard:" (card/regions.py). A card that never does has
    no region and no marker finding, so its lines need not be split and classified for the scan."""
    return "cardguard:" in text


class RegionRenderer:
    """Renders the regions of one card (or of a new one), with the repository's templates
    where it has its own; ``region`` collects the CG407 findings of failed templates."""

    def __init__(self, path: str, facts: Facts, metadata: dict[str, Any], traits: ModelTraits,
                 override_dirs: TemplateFolders) -> None:
        self.path, self.facts, self.metadata, self.traits = path, facts, metadata, traits
        self._look_up_override_dirs = override_dirs
        self._override_dirs: tuple[Path, ...] | None = None
        self.findings: list[Finding] = []

    def rendered(self, name: str, previous: str | None) -> str | None:
        """The template's output for region ``name`` (merged with ``previous``, the text it
        replaces), None when the facts lack what it is made from; raises RenderError."""
        context = REGIONS[name].build(self.facts, self.metadata, previous, self.traits)
        return None if context is None else render(find_template(name, self.override_dirs()), context)

    def override_dirs(self) -> tuple[Path, ...]:
        """The repository's template folders, looked up at the first region rendered."""
        if self._override_dirs is None:
            self._override_dirs = self._look_up_override_dirs()
        return self._override_dirs

    def region(self, name: str, place: RegionPlace | None, line: int = 0) -> ExpectedRegion:
        """What region ``name`` should say at ``place`` (its line, or ``line`` at the end)."""
        try:
            text = self.rendered(name, place.current if place else None)
        except RenderError as error:
            self.findings.append(codes.finding("CG407", self.path, place.line if place else line, 1,
                                               f"region {name!r}: {error}"))
            return ExpectedRegion(name, place, None, f"the template failed: {error}")
        if text is None:
            return ExpectedRegion(name, place, None, _needs(REGIONS[name]))
        core = text.strip("\n")
        return ExpectedRegion(name, place, core + "\n" if core.strip() else "")

    def unknown_reason(self, spec: RegionSpec) -> str:
        """Why the facts cannot fill the region ('' when they can)."""
        return _needs(spec) if spec.build(self.facts, self.metadata, None, self.traits) is None else ""


def _unfillable(scan: RegionScan, options: ExpectOptions, renderer: RegionRenderer) -> dict[str, str]:
    """The required regions the card has no markers for that the facts cannot fill, and why."""
    if not options.required_regions:  # the default: no region is required
        return {}
    present = {region.name for region in scan.regions}
    reasons = {name: renderer.unknown_reason(REGIONS[name]) for name in options.required_regions if name not in present}
    return {name: reason for name, reason in reasons.items() if reason}


def _needs(spec: RegionSpec) -> str:
    return f"the folder has no {spec.needs}"


def _added(card: Card, lines: list[BodyLine], scan: RegionScan, options: ExpectOptions, renderer: RegionRenderer
           ) -> tuple[list[ExpectedRegion], list[ExpectedRegion]]:
    """``--add-missing``: the library lines each absent region would adopt (one region per
    line: regions cannot share or nest), and the required regions with no such lines, which
    are appended at the end when the end of the card is live Markdown."""
    present = {region.name for region in scan.regions}
    adopted: list[ExpectedRegion] = []
    to_append: list[str] = []
    taken: list[tuple[int, int]] = []
    adoptable = adoptable_lines(card, lines)
    for name in REGION_NAMES:
        if name in present:
            continue
        anchor = find_anchor(card, adoptable, REGIONS[name])
        if anchor is None:
            if name in options.required_regions:
                to_append.append(name)
            continue
        if any(anchor[0] < end and start < anchor[1] for start, end in taken):
            continue
        taken.append((anchor[0], anchor[1]))
        adopted.append(renderer.region(name, library_place(card, anchor)))
    if not to_append or not end_is_live(lines):
        return adopted, []
    end = line_count(card.text) + 1
    return adopted, [renderer.region(name, None, end) for name in to_append]


def _library_sections(card: Card, lines: list[BodyLine], scan: RegionScan, renderer: RegionRenderer
                      ) -> list[ExpectedRegion]:
    """The unmarked sections a library wrote (the ones `--add-missing` would adopt), each with
    what it should say. Lines inside a region belong to that region (CG405)."""
    present = {region.name for region in scan.regions}
    taken = [(region.content_start, region.content_end) for region in scan.regions]
    sections = []
    adoptable = adoptable_lines(card, lines)
    for name in REGION_NAMES:
        spec = REGIONS[name]
        if name in present or not spec.library_section:
            continue
        anchor = find_anchor(card, adoptable, spec)
        if anchor is None or any(anchor[0] < end and start < anchor[1] for start, end in taken):
            continue  # lines another region, or another library section, already holds
        taken.append((anchor[0], anchor[1]))
        sections.append(renderer.region(name, library_place(card, anchor)))
    return sections


# Each reason made once (see managed.py)
_NO_METADATA = Unknown("the card has no metadata")
_NO_ENTRY = Unknown("the benchmark dataset, the task or the metric of the results files is unknown")


def _eval_results(card: Card, facts: Facts, evaluation: EvaluationTarget) -> EvalResultEntry | Unknown:
    if card.metadata is None:
        return _NO_METADATA
    entry = eval_results_entry(card.metadata, facts, evaluation)
    return entry if entry is not None else _NO_ENTRY
