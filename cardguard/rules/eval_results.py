"""The Hub's evaluation-results files, ``.eval_results/*.yaml`` next to the card (CG116).

Each file is a list of results: ``{dataset: {id, task_id, revision?}, value, verifyToken?,
date?, source?: {url, name?, user?, org?}, notes?}`` (huggingface/hub-docs eval_results.yaml,
huggingface_hub ``_eval_results.py``). The shape is ``schemas/eval-results.schema.json``.
Reading and parsing the file happens elsewhere; this module gets the parsed value.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from cardguard import codes
from cardguard.findings import Finding
from cardguard.resources import data_dir
from cardguard.rules.metadata import (
    best_branch,
    format_path,
    json_ready,
    kind_of,
    near_miss_of,
    quote_value,
    repo_id_fix,
    type_fix,
    type_phrase,
    union_of_forms,
)
from cardguard.rules.schema_check import InstancePath, SchemaError, SchemaValidator

EVAL_RESULTS_SCHEMA_FILE = "eval-results.schema.json"
EVAL_RESULTS_DOCS = "https://huggingface.co/docs/hub/eval-results"

Locate = Callable[[InstancePath], tuple[int, int]]

# What to add when a required part is missing.
_PARTS: dict[str, str] = {
    "dataset": "add `dataset:` with `id: <benchmark dataset id>` and `task_id: <task in that benchmark>`",
    "id": "add `id: <namespace/name>` of the benchmark dataset on the Hub",
    "task_id": "add `task_id:` (the benchmark's task, e.g. gpqa_diamond or default)",
    "value": "add `value: <number>`",
    "url": "add `url:` (a link to the source of the result), or remove `source`",
}


@functools.cache
def eval_results_validator() -> SchemaValidator:
    schema_path = data_dir("schemas") / EVAL_RESULTS_SCHEMA_FILE
    return SchemaValidator(json.loads(schema_path.read_text(encoding="utf-8")))


def check_eval_results(doc_value: Any, path: str, locate: Locate) -> list[Finding]:
    """Findings for one parsed ``.eval_results/*.yaml`` file shown as ``path``."""
    if doc_value is None:
        return [codes.finding("CG116", path, 1, 1, "the evaluation-results file is empty",
                              f"write a list of results (see {EVAL_RESULTS_DOCS}) or delete the file")]
    findings: list[Finding] = []
    for error in eval_results_validator().errors(json_ready(doc_value)):
        findings.extend(_findings_for(error, path, locate))
    return findings


def _findings_for(error: SchemaError, path: str, locate: Locate) -> list[Finding]:
    if error.keyword == "anyOf":
        chosen = best_branch(error)
        if chosen is not None:
            return [finding for sub_error in chosen for finding in _findings_for(sub_error, path, locate)]
        message, fix = _type_message(error, union_of_forms(error))
    elif error.keyword == "type":
        message, fix = _type_message(error, type_phrase(error.expected))
    else:
        message, fix = _describe(error)
    line, column = locate(error.path)
    return [codes.finding("CG116", path, line, column, message, fix)]


def _where(instance_path: InstancePath) -> str:
    return f'"{format_path(instance_path)}"' if instance_path else "the file"


def _type_message(error: SchemaError, wanted: str) -> tuple[str, str | None]:
    message = f"{_where(error.path)} must be {wanted}, not {kind_of(error.value)}"
    if not error.path and isinstance(error.value, dict):
        return message, "make it a list: put `- ` before `dataset:`"
    return message, type_fix(error.path, error.value, wanted)


def _describe(error: SchemaError) -> tuple[str, str | None]:
    where = _where(error.path)
    if error.keyword == "required":
        missing = error.expected
        present = [key for key in error.value if isinstance(key, str)] if isinstance(error.value, dict) else []
        close = near_miss_of(missing, present)
        fix = f'found "{close}": rename it to "{missing}"' if close else _PARTS.get(missing, f'add "{missing}"')
        return f'{where} is missing "{missing}"', fix
    if error.keyword == "pattern":
        message = f"{where} with value {quote_value(error.value)} is not a Hub dataset id"
        return message, repo_id_fix(error.value, "dataset")
    if error.keyword in ("minLength", "minItems"):
        return f"{where} must not be empty", "give it a value"
    return f"{where} is not valid ({error.keyword})", f"see {EVAL_RESULTS_DOCS}"
