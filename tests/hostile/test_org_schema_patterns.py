"""Issue 11, item 10: an organisation schema from the pull request cannot hang a run.

The schema a configuration names is the repository's file. Its regular expressions run on a
linear-time engine (RE2): ``^(a+)+$`` against ``"aaaa…!"`` answers at once wherever the schema
puts it (``pattern``, ``patternProperties``, ``propertyNames``, keys left to
``additionalProperties``). A pattern RE2 cannot run is refused with a CG117 finding. The schema
file is read under a size bound and deep nesting is one line, exit 2.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.helpers import assert_clean_failure, classifier_repo, run_cli

EVIL = "^(a+)+$"
LONG_VALUE = "a" * 5_000 + "!"  # backtracking tries 2**5000 ways before failing
LONG_KEY = "a" * 1_000 + "!"  # YAML keys stop at 1,024 characters; 2**1000 is as good
RUN_TIME_LIMIT_S = 20  # generous: a linear-time match takes milliseconds

SCHEMAS: dict[str, tuple[dict[str, Any], str]] = {
    # name: (schema, card metadata line) -- every one of them breaks the schema
    "pattern": ({"properties": {"model_name": {"type": "string", "pattern": EVIL}}}, f"model_name: {LONG_VALUE}"),
    "patternProperties": (  # the key does not match; the finding is for the missing "owner"
        {"patternProperties": {EVIL: {"type": "integer"}}, "required": ["owner"]}, f"{LONG_KEY}: text"
    ),
    "propertyNames": ({"propertyNames": {"pattern": EVIL}}, f"{LONG_KEY}: 1"),
    "additionalProperties": (
        {"patternProperties": {EVIL: {}}, "additionalProperties": False}, f"{LONG_KEY}: 1"
    ),
    "nested in $defs": (
        {"$defs": {"name": {"type": "string", "pattern": EVIL}},
         "properties": {"tags": {"type": "array", "items": {"$ref": "#/$defs/name"}}}},
        f"tags: [{LONG_VALUE}]",
    ),
}


def _repo_with_schema(folder: Path, schema: dict[str, Any], metadata: str) -> Path:
    card = f"---\nlicense: mit\n{metadata}\n---\n# Model\n\nWords.\n"
    repo = classifier_repo(folder, card=card)
    (repo / "org.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (repo / ".cardguard.toml").write_text("profile = 'minimal'\nschema = 'org.schema.json'\n", encoding="utf-8")
    return repo


@pytest.mark.parametrize("place", SCHEMAS)
def test_catastrophic_pattern_finishes_fast_with_its_finding(tmp_path: Path, place: str) -> None:
    schema, metadata = SCHEMAS[place]
    repo = _repo_with_schema(tmp_path / "repo", schema, metadata)
    run = run_cli(["validate", "--format", "json", "."], cwd=repo, timeout=RUN_TIME_LIMIT_S)
    assert_clean_failure(run)
    assert run.returncode == 1 and "CG117" in run.codes(), (run.stdout[-2000:], run.stderr)


MATCHING = {
    "pattern": ({"properties": {"model_name": {"pattern": "^[a-z]+-v[0-9]+$"}}}, "model_name: bert-v2"),
    "patternProperties": ({"patternProperties": {"^x_": {"type": "integer"}}}, "x_count: 3"),
    "additionalProperties": (
        {"properties": {"license": {}}, "patternProperties": {"^x_": {}}, "additionalProperties": False}, "x_a: 1"
    ),
    "unicode": ({"properties": {"model_name": {"pattern": "^\\w+é$"}}}, "model_name: café"),
}


@pytest.mark.parametrize("case", MATCHING)
def test_patterns_that_match_still_pass(tmp_path: Path, case: str) -> None:
    schema, metadata = MATCHING[case]
    repo = _repo_with_schema(tmp_path / "repo", schema, metadata)
    run = run_cli(["validate", "--format", "json", "."], cwd=repo, timeout=RUN_TIME_LIMIT_S)
    assert "CG117" not in run.codes(), run.stdout[-2000:]


UNSUPPORTED = {
    "backreference": {"properties": {"model_name": {"pattern": "^(a)\\1$"}}},
    "lookahead": {"properties": {"model_name": {"pattern": "^(?=a)a+$"}}},
    "lookbehind": {"patternProperties": {"(?<!x)y": {}}},
    "unevaluatedProperties with patternProperties": {
        "patternProperties": {"^x": {}}, "unevaluatedProperties": False,
    },
}


@pytest.mark.parametrize("case", UNSUPPORTED)
def test_pattern_the_linear_engine_cannot_run_is_refused_with_a_finding(tmp_path: Path, case: str) -> None:
    repo = _repo_with_schema(tmp_path / "repo", UNSUPPORTED[case], "model_name: aa")
    run = run_cli(["validate", "--format", "json", "."], cwd=repo, timeout=RUN_TIME_LIMIT_S)
    assert_clean_failure(run)
    refused = [item for item in json.loads(run.stdout)["findings"] if item["code"] == "CG117"]
    assert len(refused) == 1 and "linear-time engine" in refused[0]["message"], run.stdout[-2000:]
    assert run.stderr.strip() == "", run.stderr  # RE2's own error log stays quiet


def test_two_gigabyte_schema_is_refused_unread(tmp_path: Path) -> None:
    repo = _repo_with_schema(tmp_path / "repo", {}, "model_name: x")
    os.truncate(repo / "org.schema.json", 2 * 1024**3)
    run = run_cli(["validate", "--format", "json", "."], cwd=repo)
    assert run.returncode == 2 and "bound" in run.stderr, run.stderr
    assert_clean_failure(run)
    assert run.read_mb < 16 and run.peak_mb < 150, (run.read_mb, run.peak_mb)


def test_deeply_nested_schema_is_one_line_and_exit_2(tmp_path: Path) -> None:
    repo = _repo_with_schema(tmp_path / "repo", {}, "model_name: x")
    (repo / "org.schema.json").write_text('{"not": ' * 100_000 + "{}" + "}" * 100_000, encoding="utf-8")
    run = run_cli(["validate", "--format", "json", "."], cwd=repo)
    assert run.returncode == 2 and "nested too deeply" in run.stderr, run.stderr
    assert_clean_failure(run)
    assert len(run.stderr.strip().splitlines()) == 1


EXPONENTIAL = {  # anyOf tries both branches at every level: 2**depth evaluations, no pattern needed
    "$defs": {"nested": {"anyOf": [
        {"type": "array", "items": {"$ref": "#/$defs/nested"}, "minItems": 2},
        {"type": "array", "items": {"$ref": "#/$defs/nested"}},
    ]}},
    "properties": {"x": {"$ref": "#/$defs/nested"}},
    "required": ["owner"],
}


def test_schema_whose_evaluation_explodes_is_stopped_with_a_finding(tmp_path: Path) -> None:
    depth = 60  # inside the default yaml-depth
    repo = _repo_with_schema(tmp_path / "repo", EXPONENTIAL, "x: " + "[" * depth + "]" * depth)
    started = time.monotonic()
    run = run_cli(["validate", "--format", "json", "."], cwd=repo, timeout=RUN_TIME_LIMIT_S + 10)
    elapsed = time.monotonic() - started
    assert_clean_failure(run)
    refused = [item for item in json.loads(run.stdout)["findings"] if item["code"] == "CG117"]
    assert len(refused) == 1 and "stopped after" in refused[0]["message"], run.stdout[-2000:]
    assert elapsed < RUN_TIME_LIMIT_S, f"took {elapsed:.1f} s"


def test_costly_schemas_share_the_run_budget(tmp_path: Path) -> None:
    """Ten cards of that schema do not take ten times the per-card bound: --timeout holds."""
    depth = 60
    for index in range(10):
        _repo_with_schema(tmp_path / "repo" / f"model-{index}", EXPONENTIAL, "x: " + "[" * depth + "]" * depth)
    started = time.monotonic()
    run = run_cli(["validate", "--format", "json", "--timeout", "3", "."], cwd=tmp_path / "repo", timeout=120)
    elapsed = time.monotonic() - started
    assert_clean_failure(run)
    assert elapsed < RUN_TIME_LIMIT_S, f"took {elapsed:.1f} s"
    not_checked = [item for item in json.loads(run.stdout)["findings"] if item["code"] == "CG009"]
    assert len(not_checked) >= 8, run.stdout[-2000:]
