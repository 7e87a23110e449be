"""Findings -> SARIF 2.1.0, the format GitHub code scanning (upload-sarif) reads.

Every rule of the rule table is listed under ``tool.driver.rules`` so ``ruleIndex`` is stable;
each finding becomes a result with its level and a region (line, column). Paths are URI
references relative to ``%SRCROOT%`` (the folder cardguard ran in, normally the repository
root); a path outside it is given as an absolute ``file:`` URI.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from cardguard import __version__
from cardguard.codes import RULES, Rule
from cardguard.escape import strict_json
from cardguard.findings import Finding, Severity

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/cardguard/cardguard"
RULES_DOC_URI = INFORMATION_URI + "/blob/main/docs/rules.md"
SRCROOT = "%SRCROOT%"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def format_sarif(findings: list[Finding]) -> str:
    """A SARIF log with one run; ends with a newline. Strict JSON with no raw control
    character (``strict_json``): messages and paths come from the repository."""
    return strict_json(sarif_log(findings)) + "\n"


def sarif_log(findings: list[Finding]) -> dict[str, Any]:
    rules = list(RULES.values())
    index = {rule.code: position for position, rule in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "cardguard",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(rule) for rule in rules],
            }},
            "columnKind": "unicodeCodePoints",
            "results": [sarif_result(item, index) for item in findings],
        }],
    }


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    tags = ["model-card"]
    if rule.hub_rejects:
        tags.append("hub-rejects")
    return {
        "id": rule.code,
        "name": _pascal(rule.name),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "helpUri": f"{RULES_DOC_URI}#{rule.code.lower()}",
        "help": {"text": f"{rule.code} {rule.name}: {rule.summary}"},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"tags": tags},
    }


def sarif_result(item: Finding, index: dict[str, int]) -> dict[str, Any]:
    message = item.message + (f" (fix: {item.fix})" if item.fix else "")
    region: dict[str, int] = {"startLine": item.line, "startColumn": item.column}
    if item.end_line is not None and item.end_line >= item.line:
        region["endLine"] = item.end_line
    result: dict[str, Any] = {
        "ruleId": item.code,
        "level": _LEVELS[item.severity],
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(item.path), "region": region}}],
    }
    if item.code in index:
        result["ruleIndex"] = index[item.code]
    return result


def artifact_location(path: str) -> dict[str, str]:
    # surrogateescape: a file name that is not UTF-8 is quoted as its own bytes (%FF).
    posix = path.replace("\\", "/")
    if PurePosixPath(posix).is_absolute():
        return {"uri": "file://" + quote(posix, errors="surrogateescape")}
    return {"uri": quote(posix, errors="surrogateescape"), "uriBaseId": SRCROOT}


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
