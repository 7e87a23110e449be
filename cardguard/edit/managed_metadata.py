"""Metadata keys cardguard keeps true to the artifacts, and the minimal edits that do it.

Managed keys (configurable with ``managed-keys``): ``base_model``, ``library_name``,
``pipeline_tag``, ``model-index`` (metric values are rewritten only when they differ from the
results files beyond the card's printed precision; metrics the results files hold are added
to the result that describes them; a model-index is created when the card has none and the
dataset and task are known, see cardguard/expect/evaluation.py; entries written by hand are kept), ``co2_eq_emissions`` and ``tags`` (tags the training library adds are added, none
is ever removed). A value the facts do not establish is never touched.

The planner returns edits and the expected metadata after them; :func:`verify` parses the
edited text again and refuses the whole set if anything else changed.
"""

from __future__ import annotations

import copy
from typing import Any

from cardguard import codes
from cardguard.artifacts import Facts
from cardguard.card.reader import Card, parse_card
from cardguard.findings import Finding
from cardguard.expect.evaluation import EvaluationTarget, missing_metrics, new_model_index
from cardguard.expect.facts_compare import metric_comparisons, values_agree
from cardguard.expect.generated import accepted_pipeline_tags, hub_base_model, inferred_library
from cardguard.edit.textedit import TextEdit
from cardguard.edit.yamledit import EditRefused, FrontMatterEditor
from cardguard.card.yamlpos import InstancePath
from cardguard.record import Record, factory

MANAGED_KEYS: tuple[str, ...] = ("base_model", "library_name", "pipeline_tag", "model-index", "co2_eq_emissions", "tags")


class MetadataChange(Record, frozen=True):
    """One managed value that sync would change."""

    path: InstancePath
    line: int
    old: Any
    new: Any


class MetadataPlan(Record):
    edits: list[TextEdit] = factory(list)
    changes: list[MetadataChange] = factory(list)
    expected: dict[str, Any] | None = None
    findings: list[Finding] = factory(list)


def plan_metadata(card: Card, facts: Facts, managed: tuple[str, ...] = MANAGED_KEYS,
                  evaluation: EvaluationTarget = EvaluationTarget()) -> MetadataPlan:
    plan = MetadataPlan()
    metadata = card.metadata
    if metadata is None or not managed:
        return plan
    try:
        editor = FrontMatterEditor(card)
    except EditRefused:
        return plan
    plan.expected = copy.deepcopy(metadata)
    wanted = desired_scalars(facts, metadata)
    for key in ("library_name", "base_model", "pipeline_tag"):
        if key in managed and key in wanted:
            _set_scalar(plan, editor, card, (key,), wanted[key])
    if "model-index" in managed:
        for path, value in metric_updates(metadata, facts):
            _set_scalar(plan, editor, card, path, value)
        _add_results(plan, editor, card, facts, evaluation)
    if "co2_eq_emissions" in managed and facts.emissions is not None:
        _set_emissions(plan, editor, card, round(facts.emissions.emissions_g, 2))
    if "tags" in managed:
        _add_tags(plan, editor, card, library_tags(facts, metadata))
    return plan


def desired_scalars(facts: Facts, metadata: dict[str, Any]) -> dict[str, str]:
    """Values the artifacts establish for library_name, base_model and pipeline_tag."""
    wanted: dict[str, str] = {}
    library = inferred_library(facts)
    if library is not None:
        wanted["library_name"] = library
    base = hub_base_model(facts)
    if base is not None and not isinstance(metadata.get("base_model"), list):
        wanted["base_model"] = base
    tasks = accepted_pipeline_tags(facts)
    if tasks:
        current = metadata.get("pipeline_tag")
        wanted["pipeline_tag"] = current if current in tasks else tasks[0]
    return wanted


def library_tags(facts: Facts, metadata: dict[str, Any]) -> list[str]:
    """Tags the libraries add (Trainer: generated_from_trainer; PEFT: its type and base)."""
    tags = []
    if facts.adapter is not None:
        if facts.adapter.peft_type:
            tags.append(facts.adapter.peft_type.lower())
        base = hub_base_model(facts)
        if base:
            tags.append(f"base_model:adapter:{base}")
    elif facts.training_state is not None:
        tags.append("generated_from_trainer")
    if facts.sentence_transformers is not None:
        tags.append("sentence-transformers")
    return tags


# -- model-index metric values -------------------------------------------------------------

def metric_updates(metadata: dict[str, Any], facts: Facts) -> list[tuple[InstancePath, float]]:
    """(path of a metric value, the results file's value) for each value that drifted."""
    return [(path, actual) for path, _card_value, actual in metric_comparisons(metadata, facts)
            if not values_agree(_card_value, actual)]


# -- edits -----------------------------------------------------------------------------------

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
    _put(plan.expected, path, value)
    plan.changes.append(MetadataChange(path, line, current, value))


def _add_results(plan: MetadataPlan, editor: FrontMatterEditor, card: Card, facts: Facts,
                 evaluation: EvaluationTarget) -> None:
    created = new_model_index(card.metadata, facts, evaluation)
    if created is not None:
        _insert(plan, editor, card, "model-index", created)
        return
    for m, r, entries in missing_metrics(card.metadata, facts):
        path: InstancePath = ("model-index", m, "results", r, "metrics")
        try:
            plan.edits.append(editor.append_mappings(path, entries))
        except EditRefused as reason:
            plan.findings.append(_refused(card, path, reason))
            continue
        listed = _get(plan.expected, path)
        old = copy.deepcopy(listed)
        listed.extend(entries)
        plan.changes.append(MetadataChange(path, card.locate(path)[0], old, copy.deepcopy(listed)))


def _insert(plan: MetadataPlan, editor: FrontMatterEditor, card: Card, key: str, value: Any) -> None:
    """A new top-level key before the closing ``---``."""
    try:
        plan.edits.append(editor.insert_top_level(key, value))
    except EditRefused as reason:
        plan.findings.append(_refused(card, (key,), reason))
        return
    plan.expected[key] = value
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
    plan.expected["tags"] = list(current or []) + missing
    line = card.locate(("tags",))[0] if "tags" in card.metadata else _closing_line(card)
    plan.changes.append(MetadataChange(("tags",), line, current, plan.expected["tags"]))


def _refused(card: Card, path: InstancePath, reason: EditRefused) -> Finding:
    line, column = card.locate(path)
    shown = ".".join(str(part) for part in path)
    return codes.finding("CG409", card.path, line, column, f"cannot edit {shown} in place ({reason}); left as it is",
                         "write the value on one line as a plain or quoted scalar")


def _closing_line(card: Card) -> int:
    return card.front_matter.closing_line if card.front_matter else 1


def verify(new_text: str, path: str, expected: dict[str, Any] | None) -> bool:
    """True when ``new_text``'s metadata parses to exactly ``expected``."""
    if expected is None:
        return True
    reparsed = parse_card(new_text, path)
    return reparsed.metadata == expected


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
