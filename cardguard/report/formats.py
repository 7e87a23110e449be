"""Findings -> text, JSON, GitHub workflow commands or SARIF (cardguard/report/sarif.py). Formatting only: no I/O here.

Every string of a finding may come from the pull request being checked, so each format
escapes it in one place (cardguard/escape.py): text through ``_text_line``, JSON and SARIF
through ``strict_json``, GitHub workflow commands through ``workflow_data`` and
``workflow_property``, diffs through ``format_diff``. No format prints a raw control character
taken from a repository, and no line of repository text reads as a GitHub workflow command.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Mapping, Sequence

from cardguard import __version__
from cardguard.codes import RULES
from cardguard.escape import escape_block, escape_text, strict_json
from cardguard.findings import FIX_COMMAND, Finding, Severity
from cardguard.record import Record

FORMATS = ("text", "json", "github", "sarif")

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"
_SEVERITY_NAMES = {severity: str(severity) for severity in Severity}  # an enum's name is a slow property


# What fixes a finding: ``--fix`` applies its autofix; else the rule that made it may name a
# command in ``Finding.extra`` under findings.FIX_COMMAND (rules/unsynced.py: `cardguard sync`, ...).
FIX_OPTION = "cardguard validate --fix"


class ProfileNote(Record, frozen=True):
    """The profile `auto` chose for one card, and why."""

    path: str
    profile: str
    reason: str


def format_findings(findings: list[Finding], fmt: str, colour: bool = False, files_checked: int = 0,
                    fixed: list[Finding] | None = None, diffs: dict[str, str] | None = None,
                    profiles: Sequence[ProfileNote] = (), fix_commands: Mapping[str, str] | None = None) -> str:
    """Render findings; the result ends with a newline unless it is empty. ``fixed``: what
    ``--fix`` changed (None without --fix), listed in text and json. ``diffs`` (card path ->
    the diff ``sync`` would apply; ``check`` passes them) go into the JSON document.
    ``profiles``: the profiles `auto` chose (shown in text and JSON). ``fix_commands``: how
    the door that ran the check spells a fixing command, for the text's last line (see
    :func:`fixable_line`)."""
    ordered = sorted(findings, key=Finding.sort_key)
    if fmt == "json":
        return format_json(ordered, files_checked, fixed, diffs, profiles)
    if fmt == "github":
        return format_github(ordered)
    if fmt == "sarif":
        from cardguard.report.sarif import format_sarif

        return format_sarif(ordered)
    return format_fixed_text(fixed or []) + format_text(ordered, colour, files_checked, profiles, fix_commands)


def format_text(findings: list[Finding], colour: bool = False, files_checked: int = 0,
                profiles: Sequence[ProfileNote] = (), fix_commands: Mapping[str, str] | None = None) -> str:
    shown_paths: dict[str, str] = {}  # a card's findings share its path: escaped once
    lines = [_text_line(item, colour, shown_paths) for item in findings]
    if profiles:
        lines.append(profiles_line(profiles))
    lines.append(summary_line(findings, files_checked))
    fixable = fixable_line(findings, fix_commands)
    if fixable:
        lines.append(fixable)
    return "\n".join(lines) + "\n"


def fix_command(item: Finding) -> str | None:
    """The command that fixes ``item`` (None: none does)."""
    if item.autofix is not None:
        return FIX_OPTION
    return item.extra.get(FIX_COMMAND)


def fixable_line(findings: Iterable[Finding], fix_commands: Mapping[str, str] | None = None) -> str:
    """How many findings the ``[*]`` marks, and what fixes them, as ruff ends its report:
    ``[*] 2 fixable with `cardguard validate --fix` `` ('' when none is fixable).
    ``fix_commands`` maps a command to how the door that ran the check spells it (after
    ``cardguard push`` refused, its own ``--fix``); a command it leaves out is shown as it is."""
    spelled = fix_commands or {}
    counts = Counter(spelled.get(command, command) for command in map(fix_command, findings) if command is not None)
    if not counts:
        return ""
    first = spelled.get(FIX_OPTION, FIX_OPTION)
    commands = sorted(counts, key=lambda command: (command != first, command))
    if len(commands) == 1:
        return f"[*] {counts[commands[0]]} fixable with `{escape_text(commands[0])}`"
    each = ", ".join(f"{counts[command]} with `{escape_text(command)}`" for command in commands)
    return f"[*] {sum(counts.values())} fixable: {each}"


def profiles_line(profiles: Sequence[ProfileNote]) -> str:
    """One line: the profile auto chose and why (one card), or how many cards got each."""
    if len(profiles) == 1:
        return f"profile: {escape_text(profiles[0].profile)} (auto: {escape_text(profiles[0].reason)})"
    counts = Counter(note.profile for note in profiles)
    shown = ", ".join(f"{escape_text(name)} {count}" for name, count in sorted(counts.items()))
    return f"profiles chosen by auto: {shown} (each card's reason: --format json)"


def _text_line(item: Finding, colour: bool, shown_paths: dict[str, str]) -> str:
    shown_path = shown_paths.get(item.path)
    if shown_path is None:
        shown_path = shown_paths[item.path] = line_start_path(item.path)
    location = f"{shown_path}:{item.line}:{item.column}:"
    level = _SEVERITY_NAMES[item.severity]
    code = escape_text(item.code)
    if colour:
        location = f"{_BOLD}{location}{_RESET}"
        level = f"{_COLOURS[item.severity]}{level}{_RESET}"
        code = f"{_DIM}{code}{_RESET}"
    mark = "[*] " if fix_command(item) is not None else ""  # ruff's mark: a command fixes it
    text = f"{location} {code} {level}: {mark}{escape_text(item.message)}"
    if item.fix:
        text += f" (fix: {escape_text(item.fix)})"
    return text


# A path that begins a line begins with one of these, or is shown as "./path".
_PLAIN_START = re.compile(r"[A-Za-z0-9_./\\]")


def line_start_path(path: str) -> str:
    """``path`` escaped, as it may begin a line of text output.

    The GitHub runner reads a log line whose text, after leading blanks, starts with ``::``
    as a workflow command; a folder a pull request names ``::error ...`` would be one. A
    path that starts with anything but a letter, digit, ``_``, ``.`` or a separator is shown
    as ``./path``: the same file, and the line starts with ``.``.
    """
    shown = escape_text(path)
    return shown if _PLAIN_START.match(shown) else "./" + shown


def format_diff(diff: str) -> str:
    """A unified diff of repository text, safe to print: each line escaped (``escape_block``;
    a context line of a card line ``::error ...`` would otherwise be a workflow command)."""
    return escape_block(diff)


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
    """The finding's fields as they are (escaping is the serializer's job: ``strict_json``)."""
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
        "fixable": item.autofix is not None,
    }


def fixed_line(item: Finding) -> str:
    """``fixed: README.md:2 CG101 license 'Apache-2.0' -> 'apache-2.0'``."""
    change = item.autofix.describe() if item.autofix is not None else item.message
    return f"fixed: {line_start_path(item.path)}:{item.line} {escape_text(item.code)} {escape_text(change)}"


def format_fixed_text(fixed: list[Finding]) -> str:
    """One ``fixed:`` line per fix, in the order the fixes were applied."""
    return "".join(fixed_line(item) + "\n" for item in fixed)


def fixed_to_dict(item: Finding) -> dict:
    """A fixed finding as json shows it: the finding as it was, and the change made."""
    change = item.autofix
    return {**finding_to_dict(item), "change": {"action": change.action, "path": list(change.path),
                                                "old": change.old, "new": change.new}}


def format_statistics(findings: list[Finding], fmt: str) -> str:
    """Findings counted per rule, most frequent first (ruff's ``--statistics``); ``fixable``:
    ``--fix`` can fix (some of) them."""
    rows = statistics(findings)
    if fmt == "json":
        return strict_json(rows) + "\n"
    if not rows:
        return ""
    width = max(len(str(row["count"])) for row in rows)
    lines = [f"{row['count']:>{width}}\t{row['code']}\t{'[*] ' if row['fixable'] else '    '}{row['name']}"
             for row in rows]
    if any(row["fixable"] for row in rows):
        lines.append("[*] fixable with --fix")
    return "\n".join(lines) + "\n"


def statistics(findings: list[Finding]) -> list[dict]:
    counts = Counter(item.code for item in findings)
    fixable = {item.code for item in findings if item.autofix is not None}
    ordered = sorted(counts, key=lambda code: (-counts[code], code))
    return [{"code": code, "name": RULES[code].name if code in RULES else None, "count": counts[code],
             "fixable": code in fixable} for code in ordered]


def format_json(findings: list[Finding], files_checked: int = 0, fixed: list[Finding] | None = None,
                diffs: dict[str, str] | None = None, profiles: Sequence[ProfileNote] = ()) -> str:
    counts = Counter(str(item.severity) for item in findings)
    document = {
        "tool": {"name": "cardguard", "version": __version__},
        "files_checked": files_checked,
        "summary": {"error": counts["error"], "warning": counts["warning"], "info": counts["info"]},
        "findings": [finding_to_dict(item) for item in findings],
        # the cards whose profile `auto` chose; a card whose profile was set is not listed
        "profiles": [{"path": note.path, "profile": note.profile, "reason": note.reason} for note in profiles],
    }
    if fixed is not None:
        document["fixed"] = [fixed_to_dict(item) for item in fixed]  # in the order applied
    if diffs is not None:  # check: what sync would change, per card (drift findings point at it)
        document["diffs"] = [{"path": path, "diff": diff} for path, diff in diffs.items()]
    return strict_json(document) + "\n"


def format_github(findings: list[Finding]) -> str:
    """GitHub Actions workflow commands, one annotation per finding."""
    lines = []
    for item in findings:
        command = {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(item.severity, "notice")
        message = item.message + (f" (fix: {item.fix})" if item.fix else "")
        properties = ",".join([
            f"file={workflow_property(item.path)}",
            f"line={item.line}",
            f"col={item.column}",
            f"title={workflow_property(item.code)}",
        ])
        lines.append(f"::{command} {properties}::{workflow_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")


# GitHub's own escaping of workflow commands: escapeData and escapeProperty in
# actions/toolkit packages/core/src/command.ts, undone by UnescapeData / UnescapeProperty in
# actions/runner src/Runner.Common/ActionCommand.cs. The runner turns %0D and %0A back into
# line breaks inside the annotation (never a new log line), so CR and LF are escaped their way;
# every other control character (and ``##[``) is first made visible (escape_text), as in text.

def workflow_data(text: str) -> str:
    """The message part of a workflow command (after the second ``::``)."""
    visible = escape_text(text, keep="\r\n")
    return visible.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def workflow_property(text: str) -> str:
    """A property value of a workflow command (``file=``, ``title=``)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")
