"""What ``sync`` would change, as findings: the card against its sync plan.

``check`` plans the sync it would make (cardguard/edit/sync.py) from the card's one
:class:`~cardguard.expect.expected.Expected` value and reports each difference the plan holds:
a region between markers that says something else (CG405), a library's unmarked section that
no longer matches the checkpoint (CG419), a required region the card lacks (CG406), a managed
metadata value sync would rewrite (CG408; not where a drift finding already reports the line)
and an `.eval_results` entry sync would write (CG417). A plan that sync refused (CG418)
changes no region or metadata value, so it adds no CG405 or CG408.

Each finding the plan would fix says so in its data: ``extra[FIX_COMMAND]`` names the command
that fixes it (``cardguard sync``, or ``cardguard sync --add-missing``), and the text report
marks it ``[*]`` as ruff marks what ``--fix`` fixes. A drift finding on a line the plan
rewrites is marked too; nothing is marked when the plan may not be written.
"""

from __future__ import annotations

from collections.abc import Iterable

from cardguard import codes
from cardguard.artifacts import Facts
from cardguard.card.reader import Card
from cardguard.edit.figures import FigureChange
from cardguard.edit.sync import FileChange, SyncPlan
from cardguard.expect.expected import Expected
from cardguard.expect.generated import REGIONS
from cardguard.findings import FIX_COMMAND, Finding
from cardguard.lines import split_lines
from cardguard.rules.drift import check_drift
from cardguard.shown import shown

SYNC = "cardguard sync"
SYNC_ADD_MISSING = "cardguard sync --add-missing"


def check_findings(card: Card, facts: Facts, expected: Expected, plan: SyncPlan) -> list[Finding]:
    """``check``'s findings for one card: drift, the plan's own findings, and what sync would change."""
    drift = _rewritten_by_sync(check_drift(card, facts, expected), plan)
    return (drift + plan.findings + region_findings(plan) + library_section_findings(plan)
            + missing_region_findings(plan, card) + metadata_findings(plan, drift))


def sync_findings(card: Card, plan: SyncPlan) -> list[Finding]:
    """``sync``'s findings for one card: the plan's own, and the required regions it cannot add."""
    return plan.findings + missing_region_findings(plan, card)


def fixed_by(finding: Finding, command: str, plan: SyncPlan) -> Finding:
    """``finding`` marked as fixed by ``command``, unless the plan may not be written."""
    return finding if plan.blocked else finding.replace(extra={**finding.extra, FIX_COMMAND: command})


def _rewritten_by_sync(drift: list[Finding], plan: SyncPlan) -> list[Finding]:
    """The drift findings, those on a metadata line the plan rewrites marked as fixed by sync."""
    rewritten = {change.line for change in plan.metadata_changes}
    return [fixed_by(item, SYNC, plan) if item.line in rewritten else item for item in drift]


def _figure_finding(change: FigureChange) -> Finding:
    """CG420: a figure a region shows is missing, or stale (drawn from another log)."""
    what = "does not exist yet" if change.old is None else "differs from what trainer_state.json draws (stale)"
    return codes.finding("CG420", change.display, change.line, 1,
                         f"the {change.region} figure {what}", "run `cardguard sync`")


def region_findings(plan: SyncPlan) -> list[Finding]:
    """CG405: one per region between markers whose text sync would replace."""
    findings = []
    for change in plan.region_changes:
        if change.old is None:
            continue
        old_lines, new_lines = split_lines(change.old), split_lines(change.new)
        differing = sum(1 for a, b in zip(old_lines, new_lines) if a != b) + abs(len(old_lines) - len(new_lines))
        findings.append(fixed_by(codes.finding(
            "CG405", plan.path, change.line, 1,
            f"region {change.name!r} no longer matches the checkpoint ({differing} line(s) differ; "
            "retrained, or edited by hand)",
            "run `cardguard sync` (edits inside a region are replaced; write outside the markers)",
        ), SYNC, plan))
    return findings


def library_section_findings(plan: SyncPlan) -> list[Finding]:
    """CG419: one per library section without markers that no longer matches the facts."""
    findings = []
    for section in plan.library_drift:
        place = section.place
        assert place is not None
        findings.append(fixed_by(codes.finding(
            "CG419", plan.path, place.line, 1,
            f"the library's {REGIONS[section.name].heading.lower()} ({section.name}) no longer match the checkpoint "
            f"({section.differing_lines()} line(s) differ; retrained?); they have no cardguard markers, so "
            "`cardguard sync` leaves them as they are",
            "run `cardguard sync --add-missing` to put these sections under management "
            "(preview with `cardguard sync --add-missing --check`)",
        ).replace(end_line=place.last_line), SYNC_ADD_MISSING, plan))
    return findings


def missing_region_findings(plan: SyncPlan, card: Card) -> list[Finding]:
    """CG406: the required regions the card lacks, those the facts can fill first."""
    if not plan.missing_regions and not plan.unfillable_regions:
        return []
    line = min(card.front_matter.closing_line + 1 if card.front_matter else 1, card.line_count)
    fillable = [fixed_by(codes.finding(
        "CG406", plan.path, line, 1, f"the card has no {name!r} region, which the configuration requires",
        "run `cardguard sync --add-missing`",
    ), SYNC_ADD_MISSING, plan) for name in plan.missing_regions]
    unfillable = [codes.finding(
        "CG406", plan.path, line, 1,
        f"the configuration requires a {name!r} region, but the files in this folder have nothing to fill it with",
        "add the checkpoint files it is made from, or drop it from required-regions for this path "
        "([[tool.cardguard.overrides]])",
    ) for name in plan.unfillable_regions]
    return fillable + unfillable


def metadata_findings(plan: SyncPlan, drift: list[Finding]) -> list[Finding]:
    """CG408: managed metadata values sync would rewrite, except on a line ``drift`` reports."""
    reported = {item.line for item in drift}
    findings = []
    for change in plan.metadata_changes:
        if change.line in reported:
            continue
        key = ".".join(str(part) for part in change.path)
        findings.append(fixed_by(codes.finding(
            "CG408", plan.path, change.line, 1,
            f"managed metadata {key} is {shown(change.old)}; the checkpoint says {shown(change.new)}",
            "run `cardguard sync`",
        ), SYNC, plan))
    return findings


def file_change_findings(changes: Iterable[FileChange], plan: SyncPlan) -> list[Finding]:
    """CG417: one per `.eval_results` file sync would write (with the card, under ``plan``);
    CG420: one per figure."""
    findings = []
    for change in changes:
        if isinstance(change, FigureChange):
            findings.append(fixed_by(_figure_finding(change), SYNC, plan))
            continue
        what = "does not exist yet" if change.old is None else "differs from the results files"
        findings.append(fixed_by(codes.finding("CG417", change.display, change.line, 1,
                                               f"the evaluation-results entry {what}", "run `cardguard sync`"),
                                 SYNC, plan))
    return findings
