"""Findings -> text, JSON, GitHub workflow commands or SARIF (cardguard/sarif.py). Formatting only: no I/O here."""

from __future__ import annotations

import json
from collections import Counter
from typing import Iterable

from cardguard import __version__
from cardguard.codes import RULES
from cardguard.findings import Finding, Severity

FORMATS = ("text", "json", "github", "sarif")

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def format_findings(findings: list[Finding], fmt: str, colour: bool = False, files_checked: int = 0) -> str:
    """Render findings; the result ends with a newline unless it is empty."""
    ordered = sorted(findings, key=Finding.sort_key)
    if fmt == "json":
        return format_json(ordered, files_checked)
    if fmt == "github":
        return format_github(ordered)
    if fmt == "sarif":
        from cardguard.sarif import format_sarif

        return format_sarif(ordered)
    return format_text(ordered, colour, files_checked)


def format_text(findings: list[Finding], colour: bool = False, files_checked: int = 0) -> str:
    lines = [_text_line(item, colour) for item in findings]
    lines.append(summary_line(findings, files_checked))
    return "\n".join(lines) + "\n"


def _text_line(item: Finding, colour: bool) -> str:
    location = f"{item.path}:{item.line}:{item.column}:"
    level = str(item.severity)
    code = item.code
    if colour:
        location = f"{_BOLD}{location}{_RESET}"
        level = f"{_COLOURS[item.severity]}{level}{_RESET}"
        code = f"{_DIM}{code}{_RESET}"
    text = f"{location} {code} {level}: {item.message}"
    if item.fix:
        text += f" (fix: {item.fix})"
    return text


def summary_line(findings: Iterable[Finding], files_checked: int) -> str:
    counts = Counter(item.severity for item in findings)
    errors, warnings = counts[Severity.ERROR], counts[Severity.WARNING]
    cards = f"{files_checked} card{'s' if files_checked != 1 else ''} checked"
    if not errors and not warnings and not counts[Severity.INFO]:
        return f"{cards}: no problems"
    parts = [f"{errors} error{'s' if errors != 1 else ''}", f"{warnings} warning{'s' if warnings != 1 else ''}"]
    if counts[Severity.INFO]:
        parts.append(f"{counts[Severity.INFO]} info")
    return f"{cards}: " + ", ".join(parts)


def finding_to_dict(item: Finding) -> dict:
    rule = RULES.get(item.code)
    return {
        "code": item.code,
        "rule": rule.name if rule else None,
        "severity": str(item.severity),
        "path": item.path,
        "line": item.line,
        "column": item.column,
        "message": item.message,
        "fix": item.fix,
    }


def format_json(findings: list[Finding], files_checked: int = 0) -> str:
    counts = Counter(str(item.severity) for item in findings)
    document = {
        "tool": {"name": "cardguard", "version": __version__},
        "files_checked": files_checked,
        "summary": {"error": counts["error"], "warning": counts["warning"], "info": counts["info"]},
        "findings": [finding_to_dict(item) for item in findings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def format_github(findings: list[Finding]) -> str:
    """GitHub Actions workflow commands, one annotation per finding."""
    lines = []
    for item in findings:
        command = {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(item.severity, "notice")
        message = item.message + (f" (fix: {item.fix})" if item.fix else "")
        properties = ",".join([
            f"file={_escape_property(item.path)}",
            f"line={item.line}",
            f"col={item.column}",
            f"title={_escape_property(item.code)}",
        ])
        lines.append(f"::{command} {properties}::{_escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
