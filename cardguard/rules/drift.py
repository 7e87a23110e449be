"""Semantic drift rules: what the card states against what the checkpoint says.

card + facts + expected -> findings; no file is read here. The managed metadata values
(base_model, library_name, pipeline_tag, model-index metrics) are read from the card's
:class:`~cardguard.expect.expected.Expected`, the same values sync writes; statements in the
body (parameters, tensor type, labels) are compared with what Expected says they should state
(cardguard/expect/statements.py). A fact the folder does not establish (a missing file, an LFS
pointer, a local path where a Hub id is expected) is never drift. Text inside generated regions
is left to the region check (CG405).
"""

from __future__ import annotations

import re
from typing import Any

from cardguard import codes
from cardguard.artifacts import Facts
from cardguard.card.reader import Card
from cardguard.expect.expected import Expected
from cardguard.expect.managed import ExpectedMetadata, Unknown
from cardguard.findings import Finding
from cardguard.lines import split_lines
from cardguard.card.regions import RegionScan
from cardguard.shown import shown

_PARAMETER_LINE = re.compile(
    r"(?i)(?:\*\*)?\b(?:number of parameters|parameters|params|model size)\b(?:\*\*)?\s*[:|]\s*(?:\*\*)?\s*~?"
    r"(?P<number>\d[\d,]*(?:\.\d+)?)\s*(?P<suffix>[KMBT])?\b"
)
_DTYPE_LINE = re.compile(
    r"(?i)(?:\*\*)?\b(?:tensor type|precision|torch_dtype|dtype)\b(?:\*\*)?\s*[:|]\s*(?:\*\*)?\s*`?(?P<dtype>[A-Za-z0-9_.]+)`?"
)
_DTYPE_NAMES = {
    "f32": "F32", "float32": "F32", "fp32": "F32", "torch.float32": "F32", "float": "F32",
    "f16": "F16", "float16": "F16", "fp16": "F16", "half": "F16", "torch.float16": "F16",
    "bf16": "BF16", "bfloat16": "BF16", "torch.bfloat16": "BF16",
    "f64": "F64", "float64": "F64", "i8": "I8", "int8": "I8", "u8": "U8", "uint8": "U8",
}
_SUFFIXES = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
_LABEL_HEADINGS = {"labels", "label mapping", "classes", "label set"}
_LABEL_ID = re.compile(r"`?-?\d+`?\s*(?:[:=]|->|→|-)")  # "0:", "`1` ->", "2 -"


def check_drift(card: Card, facts: Facts, expected: Expected) -> list[Finding]:
    """Every semantic drift finding for one card (``expected``: derived for this card)."""
    findings: list[Finding] = []
    metadata = card.metadata or {}
    wanted = expected.metadata
    findings.extend(_base_model(card, metadata, wanted, facts))
    findings.extend(_library_name(card, metadata, wanted))
    findings.extend(_pipeline_tag(card, metadata, wanted, facts))
    findings.extend(_metrics(card, metadata, wanted))
    inside = _region_lines(expected.scan)
    statements = expected.statements
    if not (isinstance(statements.parameters, Unknown) and isinstance(statements.dtype, Unknown)):
        body_lines = _lines_outside(card, inside)  # only a known count or dtype is looked for in them
        findings.extend(_parameter_count(card, body_lines, statements.parameters))
        findings.extend(_dtype(card, body_lines, statements.dtype))
    findings.extend(_labels(card, expected.statements.labels, inside))
    return findings


def _base_model(card: Card, metadata: dict[str, Any], wanted: ExpectedMetadata, facts: Facts) -> list[Finding]:
    stated, actual = metadata.get("base_model"), wanted.base_model
    if not isinstance(stated, str) or isinstance(actual, Unknown) or stated == actual:
        return []
    source = "adapter_config.json base_model_name_or_path" if facts.adapter else "config.json _name_or_path"
    line, column = card.locate(("base_model",))
    return [codes.finding("CG410", card.path, line, column,
                          f"base_model is {stated!r} but the checkpoint's {source} is {actual!r}",
                          f"base_model: {actual}")]


def _library_name(card: Card, metadata: dict[str, Any], wanted: ExpectedMetadata) -> list[Finding]:
    stated, actual = metadata.get("library_name"), wanted.library_name
    if not isinstance(stated, str) or isinstance(actual, Unknown) or stated == actual:
        return []
    reason = {"peft": "the folder holds adapter_config.json", "sentence-transformers": "the folder holds modules.json",
              "transformers": "the folder holds a transformers config.json"}[actual]
    line, column = card.locate(("library_name",))
    return [codes.finding("CG411", card.path, line, column,
                          f"library_name is {stated!r} but {reason}: {actual!r}", f"library_name: {actual}")]


def _pipeline_tag(card: Card, metadata: dict[str, Any], wanted: ExpectedMetadata, facts: Facts) -> list[Finding]:
    stated, accepted = metadata.get("pipeline_tag"), wanted.pipeline_tags
    if not isinstance(stated, str) or not accepted or stated in accepted:
        return []
    head = _head_description(facts)
    line, column = card.locate(("pipeline_tag",))
    return [codes.finding("CG412", card.path, line, column,
                          f"pipeline_tag is {stated!r} but {head} is {' or '.join(repr(t) for t in accepted)}",
                          f"pipeline_tag: {accepted[0]}")]


def _head_description(facts: Facts) -> str:
    if facts.adapter is not None:
        return f"the adapter's task_type {shown(facts.adapter.task_type)}"
    if facts.sentence_transformers is not None:
        return "a sentence-transformers model"
    return f"the head class {facts.config.architectures[0]}" if facts.config and facts.config.architectures else "the model"


def _metrics(card: Card, metadata: dict[str, Any], wanted: ExpectedMetadata) -> list[Finding]:
    findings = []
    for metric in wanted.drifted_metrics:
        line, column = card.locate(metric.path)
        label = _metric_label(metadata, metric.path)
        findings.append(codes.finding(
            "CG413", card.path, line, column,
            f"model-index {label} is {shown(metric.stated)} but the results files say {shown(metric.actual)}",
            f"value: {metric.actual!r} (or run `cardguard sync`)"))
    return findings


def _metric_label(metadata: dict[str, Any], path: tuple) -> str:
    _, m, _, r, _, k, _ = path
    metric = metadata["model-index"][m]["results"][r]["metrics"][k]
    return str(metric.get("type") or metric.get("name") or "metric")


# -- statements in the Markdown body ----------------------------------------------------------

def _region_lines(scan: RegionScan) -> set[int]:
    return {n for region in scan.regions for n in range(region.begin_line, region.end_line + 1)}


def _lines_outside(card: Card, inside: set[int]) -> list[tuple[int, str]]:
    """(file line, text) of the visible body lines outside generated regions and code."""
    body = card.body
    if body is None:
        return []
    result = []
    for index, text in enumerate(body.lines):
        number = body.first_line + index
        if body.visible[index] and not body.in_code[index] and number not in inside:
            result.append((number, text))
    return result


def _parameter_count(card: Card, lines: list[tuple[int, str]], actual: int | Unknown) -> list[Finding]:
    if isinstance(actual, Unknown):
        return []
    findings = []
    for number, text in lines:
        match = _PARAMETER_LINE.search(text)
        if match is None:
            continue
        stated, tolerance = _stated_count(match.group("number"), match.group("suffix"))
        if abs(stated - actual) > tolerance:
            findings.append(codes.finding(
                "CG414", card.path, number, match.start("number") + 1,
                f"the card states {match.group(0).strip()!r} but the weights hold {actual:,} parameters",
            ))
    return findings


def _stated_count(number: str, suffix: str | None) -> tuple[float, float]:
    """The count a card states, and the tolerance its printed precision implies."""
    digits = number.replace(",", "")
    scale = _SUFFIXES.get((suffix or "").upper(), 1)
    decimals = len(digits.partition(".")[2])
    return float(digits) * scale, 0.5 * 10 ** -decimals * scale


def _dtype(card: Card, lines: list[tuple[int, str]], actual: str | Unknown) -> list[Finding]:
    if isinstance(actual, Unknown):
        return []
    findings = []
    for number, text in lines:
        match = _DTYPE_LINE.search(text)
        stated = _DTYPE_NAMES.get(match.group("dtype").lower()) if match else None
        if stated is not None and stated != actual:
            findings.append(codes.finding(
                "CG415", card.path, number, match.start("dtype") + 1,
                f"the card states tensor type {match.group('dtype')} but the weights are mostly {actual}",
            ))
    return findings


def _labels(card: Card, actual: frozenset[str] | Unknown, inside: set[int]) -> list[Finding]:
    if card.body is None or isinstance(actual, Unknown):
        return []
    findings = []
    for section in card.body.sections:
        if section.heading.key not in _LABEL_HEADINGS or inside & set(range(section.first_line, section.last_line + 1)):
            continue
        stated = _listed_labels(section.own_text)
        if stated and stated != actual:
            findings.append(codes.finding(
                "CG416", card.path, section.heading.line, 1,
                f"the card lists labels {sorted(stated)} but config.json id2label has {sorted(actual)}",
            ))
    return findings


def _listed_labels(text: str) -> set[str]:
    names = set()
    for line in split_lines(text):
        bullet = _bullet_label(line)
        if bullet is not None:
            names.add(bullet)
        elif line.strip().startswith("|") and not set(line.strip()) <= set("|:- "):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if len(cells) >= 2 and cells[0].lstrip("-").isdigit():
                names.add(cells[1].strip("`"))
    return names


def _bullet_label(line: str) -> str | None:
    """The label a bullet line names (``- negative``, ``* 0: negative``, ``- `1` -> positive``).

    String operations around one small anchored pattern, in the order the former single regex
    tried them: a lazy name before optional trailing spaces backtracked quadratically over a
    long run of spaces.
    """
    stripped = line.lstrip()
    if len(stripped) < 2 or stripped[0] not in "-*+" or not stripped[1].isspace():
        return None
    after_bullet = stripped[1:]
    item = after_bullet.lstrip()
    candidates = []
    label_id = _LABEL_ID.match(item)
    if label_id:
        candidates.append(item[label_id.end():])
        if label_id.group(0).endswith("->"):
            candidates.append(item[label_id.end() - 1:])  # the id ends at "-", the name starts at ">"
    candidates.append(after_bullet[1:])  # no id; at least one space stays after the bullet
    for candidate in candidates:
        name = _label_name(candidate)
        if name is not None:
            return name
    return None


def _label_name(text: str) -> str | None:
    """The name in ```name` `` or ``name`` followed only by spaces; None if there is none."""
    if text.lstrip().startswith("`"):
        after_backtick = text.lstrip()[1:]  # spaces before the opening backtick go with the id or bullet
        if not after_backtick.strip():  # a name of spaces only, before or after the backtick
            return "" if after_backtick or text[:1].isspace() else None
        text = after_backtick
    core = text.rstrip()
    if not core:
        return "" if text else None  # a name of spaces only
    core = core[:-1] if core.endswith("`") else core
    if not core or "`" in core or "|" in core:
        return None
    return core.strip()
