"""The Hub's `.eval_results/*.yaml` files, kept true to the results files (opt-in:
``eval-results-files = true``).

One entry per (benchmark dataset, task): ``{dataset: {id, task_id}, value}``. The entry is
looked up in every `.eval_results/*.yaml` file: found, its ``value`` is rewritten in place
when it differs beyond its printed precision; not found, it is appended to
``.eval_results/<dataset name>.yaml`` (created if needed). Every other entry, comment and
file is left byte for byte. What is written must pass the CG116 check.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from cardguard import codes
from cardguard.expect.evaluation import EvalResultEntry
from cardguard.expect.facts_compare import values_agree
from cardguard.findings import Finding
from cardguard.safe_paths import write_file
from cardguard.edit.sync import FileChange
from cardguard.settings.targets import display_path
from cardguard.lines import LineIndex, line_count
from cardguard.run.validate import EVAL_RESULTS_DIR, eval_results_files, read_small_text
from cardguard.edit.yamledit import EditRefused, dump_block, format_scalar, scalar_extent
from cardguard.card.yamlpos import YamlDoc, parse_yaml

MAX_FILE_BYTES = 1024 * 1024


def plan_eval_results(model_dir: Path, entry: EvalResultEntry, root: Path,
                      shown_as: Callable[[Path], str] = display_path) -> tuple[FileChange | None, list[Finding]]:
    """The change that makes `.eval_results` hold ``entry``, or None when it already does
    (``root``: the repository; nothing is read or written through a link the gate refuses;
    ``shown_as``: how changes and findings show a file, e.g. at its Hub path)."""
    paths, refusal = eval_results_files(model_dir, root)
    if refusal is not None:
        return None, [refusal]  # a linked folder: nothing is read from it or created in it
    for path in paths:
        doc, text = _parsed(path, root, shown_as)
        position = _position(doc, entry) if doc is not None else None
        if position is not None:
            return _update_value(path, text, doc, position, entry, shown_as)
    path = Path(os.path.abspath(model_dir)) / EVAL_RESULTS_DIR / f"{entry.dataset_id.rsplit('/', 1)[-1]}.yaml"
    if not os.path.lexists(path):
        return FileChange(path, shown_as(path), 1, None, dump_block([_item(entry)])), []
    doc, text = _parsed(path, root, shown_as)
    return _append(path, text, doc, entry, shown_as)


def write_change(change: FileChange, root: Path) -> None:
    """Write through the gate (cardguard.safe_paths): atomically, a new file (and
    `.eval_results/`) created first; never through a link the gate refuses in ``root``."""
    write_file(change.path, root, change.new.encode("utf-8"), new=change.old is None)


def _item(entry: EvalResultEntry) -> dict:
    return {"dataset": {"id": entry.dataset_id, "task_id": entry.task_id}, "value": entry.value}


def _parsed(path: Path, root: Path, shown_as: Callable[[Path], str]) -> tuple[YamlDoc | None, str]:
    text, problem = read_small_text(path, root, MAX_FILE_BYTES)
    if problem is not None:
        return None, ""
    doc = parse_yaml(text, shown_as(path))
    return (doc if doc.ok and isinstance(doc.value, list) else None), text


def _position(doc: YamlDoc, entry: EvalResultEntry) -> int | None:
    for index, item in enumerate(doc.value):
        dataset = item.get("dataset") if isinstance(item, dict) else None
        if isinstance(dataset, dict) and (dataset.get("id"), dataset.get("task_id")) == (entry.dataset_id, entry.task_id):
            return index
    return None


def _update_value(path: Path, text: str, doc: YamlDoc, index: int, entry: EvalResultEntry,
                  shown_as: Callable[[Path], str]) -> tuple[FileChange | None, list[Finding]]:
    current = doc.value[index].get("value")
    if values_agree(current, entry.value):
        return None, []
    span = doc.value_spans.get((index, "value"))
    lines = LineIndex(text)
    try:
        if span is None:
            raise EditRefused("the entry has no value")
        line, column = span
        start, stop, style = scalar_extent(lines.line_text(line), column)
    except EditRefused as reason:
        return None, [_refused(shown_as(path), span[0] if span else 1, reason)]
    offset = lines.line_start(line)
    new = text[:offset + start] + format_scalar(entry.value, style) + text[offset + stop:]
    return FileChange(path, shown_as(path), line, text, new), []


def _append(path: Path, text: str, doc: YamlDoc | None, entry: EvalResultEntry,
            shown_as: Callable[[Path], str]) -> tuple[FileChange | None, list[Finding]]:
    if doc is None or any(doc.value_spans.get((index,), (0, 0))[1] != 3 for index in range(len(doc.value))):
        return None, [_refused(shown_as(path), 1, EditRefused("not a readable block list starting at column 1"))]
    newline = "\r\n" if "\r\n" in text else "\n"
    separator = "" if not text or text.endswith(("\n", "\r")) else newline
    block = dump_block([_item(entry)]).replace("\n", newline)
    return FileChange(path, shown_as(path), line_count(text) + 1, text, text + separator + block), []


def _refused(shown: str, line: int, reason: EditRefused) -> Finding:
    return codes.finding("CG409", shown, line, 1, f"cannot update the evaluation results in place ({reason})",
                         "write the entry as `- dataset: {id, task_id}` / `value: <number>` in block style")
