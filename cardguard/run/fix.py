"""``--fix``: apply the metadata fixes cardguard is certain of, as sync edits a card.

A rule that knows the one right answer attaches it to its finding (``Finding.autofix``: a
licence id in another spelling, a near-miss key, a removed pipeline tag with one successor, an
empty model-index key where the Hub wants a string).
Each fix becomes a minimal text edit of the front matter (cardguard.edit.yamledit: quoting,
comments and line endings stay), is checked like a sync edit (cardguard.edit.edit_check: the
metadata must be exactly what the fix means, every other line unchanged in text and role),
and the card is written once, atomically, through the write gate (cardguard.safe_paths).
A fix is also left undone when it would add a finding that fails the run and that no certain
fix removes: renaming `model_index` to `model-index` makes the Hub read (and perhaps refuse) a
block it ignored, and `licence: license` renamed is `license: license`, which it rejects.
A fix left undone keeps its finding in the report.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from cardguard import codes
from cardguard.card.reader import Card, parse_card
from cardguard.settings.config import Settings, apply_policy
from cardguard.edit.edit_check import check_edit
from cardguard.findings import Autofix, Finding, Severity
from cardguard.card.regions import scan_regions
from cardguard.rules.metadata import check_metadata
from cardguard.safe_paths import Refused, write_file
from cardguard.settings.targets import Target
from cardguard.edit.textedit import TextEdit, apply_edits
from cardguard.lines import line_at, to_lf
from cardguard.run.results import CardReport
from cardguard.run.validate import ConfigCache, card_path, load_card
from cardguard.edit.yamledit import EditRefused, FrontMatterEditor

# One fix is applied per pass, then the card is read again (a renamed `Licence: Apache-2.0`
# then shows its value's fix); a card has far fewer fixable findings than this.
MAX_FIX_PASSES = 32


def fix_then_check(target: Target, configs: ConfigCache, check: Callable[[Target, ConfigCache], CardReport]
                   ) -> CardReport:
    """Apply the card's certain fixes, write it if any applied, then run ``check`` on it
    (validate, or check) for the findings that remain; the report says what was fixed."""
    settings = configs.settings_for(target)
    root = configs.repository_root(target.model_dir)
    card = load_card(target, settings, root)
    new_text, fixed = fixed_text(card, settings)
    refusal: Finding | None = None
    if fixed:
        try:
            write_file(card_path(target), root, (("\ufeff" if card.has_bom else "") + new_text).encode("utf-8"))
        except Refused as refused:  # the card was read through the same gate: a link changed meanwhile
            refusal = codes.finding(refused.code, target.display, 1, 1, f"{target.display} {refused.reason}")
            fixed = []
    report = check(target, configs)
    # A fix still attached was refused above: --fix cannot apply it, so it is not offered.
    remaining = [item.replace(autofix=None) if item.autofix is not None else item for item in report.findings]
    findings = remaining + ([refusal] if refusal is not None else [])
    return report.replace(findings=tuple(findings), fixed=tuple(fixed), written=bool(fixed))


def fixed_text(card: Card, settings: Settings) -> tuple[str, list[Finding]]:
    """The card's text with every certain fix applied, and the findings fixed (as they were
    reported, at their lines in the card as it is on disk)."""
    fixed, refused, shifts = [], set(), []
    current = card
    for _ in range(MAX_FIX_PASSES):
        candidate = _next_fix(current, settings, refused)
        if candidate is None:
            break
        applied = _applied(current, candidate.autofix, settings)
        if applied is None:
            refused.add(_fix_key(candidate))
            continue
        new_card, edit = applied
        # the finding was found in the card as the earlier fixes left it: show its line on disk
        fixed.append(candidate.replace(line=_line_on_disk(candidate.line, shifts)))
        shifts.append(_line_shift(current.text, edit))
        current = new_card
    return current.text, fixed


def _line_shift(text: str, edit: TextEdit) -> tuple[int, int]:
    """(the first line after the edit, in the edited text; lines the edit removed minus lines it added)."""
    removed, added = text.count("\n", edit.start, edit.end), edit.text.count("\n")
    return line_at(text, edit.start) + added, removed - added


def _line_on_disk(line: int, shifts: list[tuple[int, int]]) -> int:
    """``line`` of the card after the edits ``shifts`` describe (first applied first), as a
    line of the card before them."""
    for first_after, lines_removed in reversed(shifts):
        if line >= first_after:
            line += lines_removed
    return line


def _adds_failures(old: Card, new: Card, settings: Settings) -> bool:
    """Whether the new card has more findings at or above ``fail-on`` that no certain fix removes."""
    return _unfixable_failures(new, settings) > _unfixable_failures(old, settings)


def _unfixable_failures(card: Card, settings: Settings) -> int:
    findings = apply_policy(check_metadata(card), settings, card.ignored_codes)
    # fail-on "never" (None) fails nothing, yet a fix that adds errors is still refused
    threshold = Severity.ERROR if settings.fail_on is None else settings.fail_on
    return sum(1 for item in findings if item.severity >= threshold and item.autofix is None)


def _fix_key(item: Finding) -> tuple:
    return (item.code, item.autofix.action, item.autofix.path, item.autofix.old, item.autofix.new)


def _next_fix(card: Card, settings: Settings, refused: set[tuple]) -> Finding | None:
    """The first finding with a fix not yet refused; ignored rules are not fixed."""
    if card.metadata is None:
        return None
    findings = apply_policy(check_metadata(card), settings, card.ignored_codes)
    fixable = [item for item in findings if item.autofix is not None and _fix_key(item) not in refused]
    return min(fixable, key=Finding.sort_key, default=None)


def _applied(card: Card, autofix: Autofix, settings: Settings) -> tuple[Card, TextEdit] | None:
    """The card with the fix applied and the edit that applied it, or None when it cannot be
    applied exactly, or when it would add a failing finding that no certain fix removes."""
    expected = fixed_metadata(card.metadata, autofix)
    if expected is None:
        return None
    try:
        edit = _edit_for(FrontMatterEditor(card), autofix)
    except EditRefused:
        return None
    new_text = apply_edits(card.text, [edit])
    new_card = parse_card(new_text, card.path, yaml_limits=settings.limits.for_yaml())
    if new_card.metadata != expected or _adds_failures(card, new_card, settings):
        return None
    if check_edit(card, new_text, [edit], _regions(card), expected, metadata_edited=True) is not None:
        return None
    return new_card, edit


def _edit_for(editor: FrontMatterEditor, autofix: Autofix) -> TextEdit:
    if autofix.action == "rename-key":
        return editor.rename_key(str(autofix.old), str(autofix.new))
    if autofix.action == "remove-key":
        return editor.remove_entry(autofix.path, autofix.old)
    return editor.replace_scalar(autofix.path, autofix.new)


def fixed_metadata(metadata: dict[str, Any] | None, autofix: Autofix) -> dict[str, Any] | None:
    """The metadata the fix means, or None when it does not apply (a renamed key and a set
    value are top-level; a removed key is nested)."""
    if autofix.action == "remove-key":
        return _without_key(metadata, autofix.path, autofix.old)
    if metadata is None or len(autofix.path) != 1 or autofix.path[0] not in metadata:
        return None
    key = autofix.path[0]
    if autofix.action == "rename-key":
        if autofix.new in metadata:
            return None
        return {autofix.new if name == key else name: value for name, value in metadata.items()}
    if autofix.action == "set-value" and metadata[key] == autofix.old:
        return {**metadata, key: autofix.new}
    return None


def _without_key(metadata: dict[str, Any] | None, path: tuple, value: object) -> dict[str, Any] | None:
    """A copy of ``metadata`` without the key at ``path`` (a key of a nested mapping that keeps
    another key), or None when ``value`` is not what it holds."""
    if metadata is None or len(path) < 2:
        return None
    copied = copy.deepcopy(metadata)
    parent: Any = copied
    for part in path[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return None
    key = path[-1]
    if not isinstance(parent, dict) or key not in parent or len(parent) < 2:
        return None
    if parent[key] != value or type(parent[key]) is not type(value):
        return None
    del parent[key]
    return copied


def _regions(card: Card) -> dict[str, str]:
    """Every region's text (a fix changes none of them)."""
    scan = scan_regions(card.text, card.path)
    return {region.name: to_lf(card.text[region.content_start:region.content_end]) for region in scan.regions}
