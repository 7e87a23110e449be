"""The minimal front-matter edits that give the managed keys their expected values.

What each managed key should say is cardguard/expect/managed.py's :class:`ExpectedMetadata`;
this module only writes it, key by key, for the keys ``managed-keys`` lets sync manage. A
value that is unknown is never touched, and neither is a value that cannot be edited in place
(a CG409 finding says so).

The planner returns edits and the expected metadata after them; :func:`verify` parses the
edited text again and refuses the whole set if anything else changed.
"""

from __future__ import annotations

import copy
from cardguard.record import Record, factory
from typing import Any

from cardguard import codes
from cardguard.card.reader import Card, read_front_matter
from cardguard.card.yamlpos import InstancePath
from cardguard.edit.textedit import TextEdit
from cardguard.edit.yamledit import EditRefused, FrontMatterEditor
from cardguard.expect.facts_compare import values_agree
from cardguard.expect.managed import MANAGED_KEYS, ExpectedMetadata, Unknown
from cardguard.findings import Finding


class MetadataChange(Record, frozen=True):
    """One managed value that sync would change."""

    path: InstancePath
    line: int
    old: Any
    new: Any


class MetadataPlan(Record):
    edits: list[TextEdit] = factory(list)
    changes: list[MetadataChange] = factory(list)
    expected: dict[str, Any] | None = None  # the metadata the edits give; None while there are none
    findings: list[Finding] = factory(list)


def plan_metadata(card: Card, wanted: ExpectedMetadata, managed: tuple[str, ...] = MANAGED_KEYS) -> MetadataPlan:
    """The edits that write ``wanted`` into the card, for the ``managed`` keys."""
    plan = MetadataPlan()
    metadata = card.metadata
    if metadata is None or not managed:
        return plan
    try:
        editor = FrontMatterEditor(card)
    except EditRefused:
        return plan
    scalars = wanted.scalars()
    for key in ("library_name", "base_model", "pipeline_tag"):
        if key in managed and key in scalars:
            _set_scalar(plan, editor, card, (key,), scalars[key])
    if "model-index" in managed:
        for metric in wanted.drifted_metrics:
            _set_scalar(plan, editor, card, metric.path, metric.actual)
        _add_results(plan, editor, card, wanted)
    if "co2_eq_emissions" in managed and not isinstance(wanted.emissions_g, Unknown):
        _set_emissions(plan, editor, card, wanted.emissions_g)
    if "tags" in managed:
        _add_tags(plan, editor, card, list(wanted.tags))
    return plan


# -- edits -----------------------------------------------------------------------------------

def _expected(plan: MetadataPlan, card: Card) -> dict[str, Any]:
    """The metadata the plan's edits give, copied from the card's at the first edit (most
    cards need none, and no copy)."""
    if plan.expected is None:
        plan.expected = copy.deepcopy(card.metadata)
    return plan.expected


def _set_scalar(plan: MetadataPlan, editor: FrontMatterEditor, card: Card, path: InstancePath, value: Any) -> None:
    current = _get(card.metadata, path)
    if current == value and type(current) is type(value):
        return
    line = card.locate(path)[0] if _get(card.metadata, path) is not None or len(path) > 1 else _closing_line(card)
    try:
        if len(path) == 1 and path[0] not in card.metadata:
            plan.edits.append(editor.insert_top_level(path[0], value))
        else:
            plan.edits.append(editor.replace_scalar(path, value))
    except EditRefused as reason:
        plan.findings.append(_refused(card, path, reason))
        return
    _put(_expected(plan, card), path, value)
    plan.changes.append(MetadataChange(path, line, current, value))


def _add_results(plan: MetadataPlan, editor: FrontMatterEditor, card: Card, wanted: ExpectedMetadata) -> None:
    if not isinstance(wanted.new_model_index, Unknown):
        _insert(plan, editor, card, "model-index", wanted.new_model_index)
        return
    for added in wanted.added_metrics:
        path = added.path
        try:
            plan.edits.append(editor.append_mappings(path, added.entries))
        except EditRefused as reason:
            plan.findings.append(_refused(card, path, reason))
            continue
        listed = _get(_expected(plan, card), path)
        old = copy.deepcopy(listed)
        listed.extend(added.entries)
        plan.changes.append(MetadataChange(path, card.locate(path)[0], old, copy.deepcopy(listed)))


def _insert(plan: MetadataPlan, editor: FrontMatterEditor, card: Card, key: str, value: Any) -> None:
    """A new top-level key before the closing ``---``."""
    try:
        plan.edits.append(editor.insert_top_level(key, value))
    except EditRefused as reason:
        plan.findings.append(_refused(card, (key,), reason))
        return
    _expected(plan, card)[key] = value
    plan.changes.append(MetadataChange((key,), _closing_line(card), None, value))


def _set_emissions(plan: MetadataPlan, editor: FrontMatterEditor, card: Card, grams: float) -> None:
    current = card.metadata.get("co2_eq_emissions")
    if current is None:
        _insert(plan, editor, card, "co2_eq_emissions", {"emissions": grams})
    elif isinstance(current, dict) and isinstance(current.get("emissions"), (int, float)):
        if not values_agree(current["emissions"], grams):
            _set_scalar(plan, editor, card, ("co2_eq_emissions", "emissions"), grams)
    elif isinstance(current, (int, float)) and not values_agree(current, grams):
        _set_scalar(plan, editor, card, ("co2_eq_emissions",), grams)


def _add_tags(plan: MetadataPlan, editor: FrontMatterEditor, card: Card, wanted: list[str]) -> None:
    current = card.metadata.get("tags")
    if isinstance(current, str):
        current = [current]
    if current is not None and not isinstance(current, list):
        return
    missing = [tag for tag in wanted if tag not in (current or [])]
    if not missing:
        return
    try:
        if not current:
            if "tags" in card.metadata:
                raise EditRefused("an empty or single-string tags value")
            plan.edits.append(editor.insert_top_level("tags", missing))
        else:
            plan.edits.append(editor.append_list_items(("tags",), missing))
    except EditRefused as reason:
        plan.findings.append(_refused(card, ("tags",), reason))
        return
    tags = list(current or []) + missing
    _expected(plan, card)["tags"] = tags
    line = card.locate(("tags",))[0] if "tags" in card.metadata else _closing_line(card)
    plan.changes.append(MetadataChange(("tags",), line, current, tags))


def _refused(card: Card, path: InstancePath, reason: EditRefused) -> Finding:
    line, column = card.locate(path)
    return codes.finding("CG409", card.path, line, column, f"cannot edit {_dotted(path)} in place ({reason}); left as it is",
                         "write the value on one line as a plain or quoted scalar")


def _closing_line(card: Card) -> int:
    return card.front_matter.closing_line if card.front_matter else 1


def read_back_finding(card: Card, new_text: str, plan: MetadataPlan) -> Finding | None:
    """None when ``new_text``'s metadata parses to exactly what ``plan`` expects; else CG409 at
    the first change whose value did not read back as planned (every change, when each did and
    something else changed), naming them."""
    if plan.expected is None:
        return None
    got = read_front_matter(new_text, card.path).metadata
    if got == plan.expected:
        return None
    wrong = [change for change in plan.changes
             if not isinstance(got, dict) or _get(got, change.path) != change.new] or plan.changes
    shown = ", ".join(_dotted(change.path) for change in wrong)
    line = wrong[0].line if wrong else 1
    return codes.finding("CG409", card.path, line, 1,
                         f"editing {shown or 'the metadata'} in place did not give the expected value; "
                         "metadata left as it is",
                         "write the value on one line as a plain or quoted scalar, or set it by hand")


def _dotted(path: InstancePath) -> str:
    return ".".join(str(part) for part in path)


def _get(value: Any, path: InstancePath) -> Any:
    for part in path:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value


def _put(value: Any, path: InstancePath, new: Any) -> None:
    for part in path[:-1]:
        value = value[part]
    value[path[-1]] = new
