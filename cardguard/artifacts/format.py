"""Facts as JSON-able data and as plain text: what ``cardguard facts --format json|text`` prints.

Every name and value here comes from the repository's files. The JSON form is written by
``cardguard.escape.strict_json``; the text form passes every key and value through
``escape_text`` (``_key``, ``_text``), so no control character reaches the output and no
line starts with text the repository chose.
"""

from __future__ import annotations

import enum
import re

from cardguard.artifacts.facts import Facts
from cardguard.escape import escape_text
from cardguard.findings import Finding
from cardguard.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# The families in the order they are shown, with their headings.
_SECTIONS = (
    ("weights", "Weights"),
    ("config", "Config (config.json)"),
    ("generation", "Generation config (generation_config.json)"),
    ("tokenizer", "Tokenizer"),
    ("training_state", "Trainer state (trainer_state.json)"),
    ("results", "Results (*_results.json)"),
    ("training_args", "Training arguments (training_args.bin)"),
    ("adapter", "PEFT adapter (adapter_config.json)"),
    ("sentence_transformers", "sentence-transformers"),
    ("emissions", "Emissions (emissions.csv)"),
)
# Long lists shown as a count in text; JSON has them in full.
_COUNTED_IN_TEXT = {"train_rows", "eval_rows", "values", "settings"}
# Lists of files (the shards of a large checkpoint): in text, more than _FILES_SHOWN become
# the first and last three and a count; JSON has them in full.
_SHORTENED_IN_TEXT = {"files"}
_FILES_SHOWN = 8


def facts_to_dict(facts: Facts) -> dict[str, Any]:
    """Facts as plain dicts, lists and scalars (``json.dumps`` needs nothing more).

    Read-only properties of the records (``weights.complete``,
    ``training_args.total_train_batch_size``) are included beside the fields.
    """
    return _plain(facts)


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": str(finding.severity),
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "message": finding.message,
        "fix": finding.fix,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Finding):
        return finding_to_dict(value)
    if isinstance(value, Record):
        data = {name: _plain(getattr(value, name)) for name in value.fields()}
        for name, attribute in vars(type(value)).items():
            if isinstance(attribute, property):
                data[name] = _plain(getattr(value, name))
        return data
    if isinstance(value, enum.Enum):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def format_facts_text(facts: Facts) -> str:
    """A human-readable report: one block per family found, then the findings."""
    data = facts_to_dict(facts)
    lines = [f"Model folder: {escape_text(str(facts.model_dir))}"]
    for key, heading in _SECTIONS:
        if data[key] is not None:
            lines.append("")
            lines.append(heading)
            lines.extend(_field_lines(data[key], indent="  "))
    if facts.lfs_pointers:
        lines += ["", "Git LFS pointers (content not available locally)"]
        lines += [f"  {_key(p.path)}: {p.size:,} bytes" for p in facts.lfs_pointers]
    if not any(data[key] is not None for key, _ in _SECTIONS):
        lines += ["", "No checkpoint artifacts found."]
    lines += ["", f"Files read: {len(facts.files_read)}"]
    lines += ["", f"Findings: {len(facts.findings)}" if facts.findings else "Findings: none"]
    for finding in facts.findings:
        lines.append(f"  {_key(finding.path)}:{finding.line}:{finding.column}: {escape_text(finding.code)} "
                     f"{finding.severity}: {escape_text(finding.message)}")
    return "\n".join(lines) + "\n"


def _field_lines(data: dict[str, Any], indent: str) -> list[str]:
    lines = []
    for key, value in data.items():
        name = _key(key)
        if value is None or value == [] or value == {}:
            continue
        if key in _COUNTED_IN_TEXT and isinstance(value, (list, dict)):
            lines.append(f"{indent}{name}: {len(value)} entries")
        elif key in _SHORTENED_IN_TEXT and isinstance(value, list):
            lines.append(f"{indent}{name}: {_shortened(value)}")
        elif isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            lines.append(f"{indent}{name}:")
            for nested_key, nested in value.items():
                lines.append(f"{indent}  {_key(nested_key)}:")
                lines.extend(_field_lines(nested, indent + "    "))
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            lines.append(f"{indent}{name}:")  # e.g. sentence-transformers modules, one per line
            lines.extend(f"{indent}  - {_text(item)}" for item in value)
        elif isinstance(value, dict) and "model_type" in value:  # a nested config (text_config)
            lines.append(f"{indent}{name}:")
            lines.extend(_field_lines(value, indent + "  "))
        else:
            lines.append(f"{indent}{name}: {_text(value)}")
    return lines


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return ", ".join(f"{escape_text(str(k))}={_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    return escape_text(str(value))


# A name that begins a line (after the indentation) begins with one of these, or is quoted.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_./]")


def _key(name: Any) -> str:
    """A name from the repository (a config key, a file name) as it may begin a line.

    The GitHub runner reads a log line whose text, after leading blanks, starts with ``::``
    as a workflow command, so a name that does not start with a letter, digit, ``_``, ``.``
    or ``/`` is shown in double quotes.
    """
    shown = escape_text(str(name))
    return shown if _PLAIN_NAME.match(shown) else f'"{shown}"'


def _shortened(names: list[str]) -> str:
    if len(names) <= _FILES_SHOWN:
        return _text(names)
    return _text([*names[:3], "…", *names[-3:]]) + f" ({len(names):,} in all)"
