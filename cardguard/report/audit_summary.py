"""The Markdown summary of an audit (summary.md): totals, findings per rule, the worst repos
and, against an earlier run, what is new, fixed or still failing. Small enough for
$GITHUB_STEP_SUMMARY (1 MiB): every list in it is bounded. Formatting only.
"""

from __future__ import annotations

from cardguard.codes import RULES
from cardguard.escape import escape_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections import Counter

LISTED_PER_CHANGE = 50  # repos named under each of new / fixed / still failing


def format_audit_summary(totals: object, comparison: object | None = None) -> str:
    """``totals`` and ``comparison`` are run/audit.py's AuditTotals and Comparison."""
    lines = ["## cardguard audit", "", *total_lines(totals), "", *rule_lines(totals.rules), "",
             *worst_lines(totals.worst)]
    if comparison is not None:
        lines += ["", *comparison_lines(comparison)]
    return "\n".join(lines) + "\n"


def total_lines(totals: object) -> list[str]:
    severities = totals.severities
    cached = "n/a" if totals.cached is None else totals.cached  # None: a join of shards does not know
    return [
        "| repos | failing | unreadable | from cache | errors | warnings | infos |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        (f"| {totals.repos} | {totals.failing} | {totals.unreadable} | {cached} | {severities['error']} "
         f"| {severities['warning']} | {severities['info']} |"),
    ]


def rule_lines(rules: Counter) -> list[str]:
    if not rules:
        return ["No findings."]
    rows = [f"| {code} | {RULES[code].name if code in RULES else ''} | {count} |"
            for code, count in sorted(rules.items(), key=lambda entry: (-entry[1], entry[0]))]
    return ["### Findings per rule", "", "| rule | name | findings |", "|---|---|---:|", *rows]


def worst_lines(worst: list) -> list[str]:
    if not worst:
        return []
    rows = [f"| {cell(repo)} | {errors} | {warnings} | {drift} |" for errors, warnings, drift, repo in worst]
    return ["### Worst repos", "", "| repo | errors | warnings | drift |", "|---|---:|---:|---:|", *rows]


def comparison_lines(comparison: object) -> list[str]:
    counts = (f"{len(comparison.new)} newly failing, {len(comparison.fixed)} fixed, "
              f"{len(comparison.still_failing)} still failing.")
    lines = ["### Since the previous run", "", counts]
    for title, repos in (("Newly failing", comparison.new), ("Fixed", comparison.fixed),
                         ("Still failing", comparison.still_failing)):
        if repos:
            shown = ", ".join(cell(repo) for repo in repos[:LISTED_PER_CHANGE])
            more = f" and {len(repos) - LISTED_PER_CHANGE} more" if len(repos) > LISTED_PER_CHANGE else ""
            lines += ["", f"**{title}:** {shown}{more}"]
    return lines


def cell(text: str) -> str:
    """A repo id or folder in a table cell: escaped, and its ``|`` kept from ending the cell."""
    return "`" + escape_text(text).replace("|", "\\|").replace("`", "'") + "`"
